import { Field, Float, Int, ObjectType } from 'type-graphql';
import { PageInfo } from './connection.type.js';
import { RunSource, RunStatus, Split } from './enums.type.js';
import { JSONScalar } from './scalars.js';

@ObjectType({ description: 'One training run (or imported log), with its full resolved config.' })
export class Run {
  @Field(() => Int)
  id!: number;

  @Field(() => Int, { nullable: true })
  experimentId!: number | null;

  @Field(() => String, { description: 'rwa | lstm | gru | rda | lstm-attention' })
  model!: string;

  @Field(() => String, { description: 'adding | copy | length | reber | mnist' })
  task!: string;

  @Field(() => Int, { nullable: true, description: 'Sequence length T where the task has one.' })
  length!: number | null;

  @Field(() => Int)
  units!: number;

  @Field(() => Int)
  layers!: number;

  @Field(() => JSONScalar, { description: 'The complete resolved run config (re-runs it exactly).' })
  config!: unknown;

  @Field(() => Int)
  seed!: number;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => RunSource)
  source!: RunSource;

  @Field(() => String, { nullable: true, description: 'native | tfjs' })
  engine!: string | null;

  @Field(() => String, { nullable: true, description: 'What actually ran, e.g. "native avx2-fma, 2 threads".' })
  backend!: string | null;

  @Field(() => String, { nullable: true, description: 'Host of the worker training it.' })
  workerHost!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Last sign of life from its worker.' })
  heartbeatAt!: Date | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int)
  currentStep!: number;

  @Field(() => Int)
  totalSteps!: number;

  @Field(() => Int, { nullable: true })
  divergedStep!: number | null;

  @Field(() => String, { nullable: true, description: 'Job queue id feeding this run.' })
  jobId!: string | null;
}

@ObjectType()
export class RunEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Run)
  node!: Run;
}

@ObjectType({ description: 'A page of runs.' })
export class RunConnection {
  @Field(() => [RunEdge])
  edges!: RunEdge[];

  @Field(() => [Run], { description: 'The edges\u2019 nodes, for clients that do not need cursors.' })
  nodes!: Run[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Runs matching the filter, over all pages.' })
  totalCount!: number;
}

@ObjectType({ description: 'Weights and optimiser state saved at a step (the bytes are not exposed).' })
export class Checkpoint {
  @Field(() => Int)
  id!: number;

  @Field(() => Int)
  step!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Int)
  paramsBytes!: number;

  @Field(() => Int)
  optimizerBytes!: number;
}

@ObjectType({ description: 'One stored metric series of a run.' })
export class SeriesInfo {
  @Field(() => String)
  name!: string;

  @Field(() => Split)
  split!: Split;

  @Field(() => Int)
  points!: number;

  @Field(() => Int, { nullable: true })
  firstStep!: number | null;

  @Field(() => Int, { nullable: true })
  lastStep!: number | null;
}

@ObjectType({ description: 'Speed and time of a run, from its rows and its metric wall times.' })
export class RunTimings {
  @Field(() => Float, { nullable: true, description: 'Seconds from start to finish (or to now while running).' })
  elapsedSeconds!: number | null;

  @Field(() => Float, { nullable: true, description: 'Training steps per second, from the recorded wall times.' })
  stepsPerSecond!: number | null;

  @Field(() => Float, { nullable: true, description: 'Seconds left at that speed (null when not running).' })
  etaSeconds!: number | null;

  @Field(() => Float, { description: 'currentStep / totalSteps.' })
  progress!: number;
}
