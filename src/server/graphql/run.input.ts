import { Field, Float, InputType, Int, registerEnumType } from 'type-graphql';
import { RunStatus, SortDirection } from './enums.type.js';
import { JSONScalar } from './scalars.js';

export enum RunOrderField {
  CREATED_AT = 'createdAt',
  ID = 'id',
  STARTED_AT = 'startedAt',
  FINISHED_AT = 'finishedAt',
  STATUS = 'status',
  MODEL = 'model',
  TASK = 'task',
  LENGTH = 'length',
  UNITS = 'units',
  CURRENT_STEP = 'currentStep',
}
registerEnumType(RunOrderField, { name: 'RunOrderField' });

@InputType({ description: 'Every given condition must hold.' })
export class RunFilter {
  @Field(() => [Int], { nullable: true })
  ids?: number[];

  @Field(() => Int, { nullable: true })
  experimentId?: number;

  @Field(() => [String], { nullable: true, description: 'Any of these models (rwa, lstm, gru, rda, lstm-attention).' })
  models?: string[];

  @Field(() => [String], { nullable: true, description: 'Any of these tasks.' })
  tasks?: string[];

  @Field(() => [RunStatus], { nullable: true })
  statuses?: RunStatus[];

  @Field(() => Int, { nullable: true })
  length?: number;

  @Field(() => Int, { nullable: true })
  lengthMin?: number;

  @Field(() => Int, { nullable: true })
  lengthMax?: number;

  @Field(() => Int, { nullable: true })
  units?: number;

  @Field(() => Int, { nullable: true })
  layers?: number;

  @Field(() => Int, { nullable: true })
  seed?: number;

  @Field(() => Date, { nullable: true, description: 'Created at or after.' })
  createdAfter?: Date;

  @Field(() => Date, { nullable: true, description: 'Created before.' })
  createdBefore?: Date;

  @Field(() => JSONScalar, {
    nullable: true,
    description: 'Config fields that must match exactly (JSON containment), e.g. {"learningRate": 0.001}.',
  })
  config?: Record<string, unknown>;
}

@InputType()
export class RunOrder {
  @Field(() => RunOrderField, { defaultValue: RunOrderField.CREATED_AT })
  field!: RunOrderField;

  @Field(() => SortDirection, { defaultValue: SortDirection.DESC })
  direction!: SortDirection;
}

@InputType({ description: 'Run settings; omitted fields take the defaults of src/trainer/config.ts.' })
export class RunSettingsInput {
  @Field(() => String, { nullable: true, description: 'rwa | lstm | gru | rda | lstm-attention' })
  model?: string;

  @Field(() => Int, { nullable: true })
  layers?: number;

  @Field(() => Int, { nullable: true })
  units?: number;

  @Field(() => Int, { nullable: true })
  steps?: number;

  @Field(() => Int, { nullable: true })
  batchSize?: number;

  @Field(() => Float, { nullable: true })
  learningRate?: number;

  @Field(() => Float, { nullable: true })
  clipNorm?: number;

  @Field(() => Int, { nullable: true })
  evalEvery?: number;

  @Field(() => Int, { nullable: true })
  testSize?: number;

  @Field(() => Int, { nullable: true })
  snapshotSamples?: number;

  @Field(() => Int, { nullable: true })
  snapshotEvery?: number;

  @Field(() => Int, { nullable: true })
  checkpointEvery?: number;

  @Field(() => Int, { nullable: true })
  seed?: number;

  @Field(() => String, { nullable: true, description: 'auto | native | tfjs' })
  engine?: string;
}

@InputType({ description: 'One run: a task with its options, and run settings.' })
export class StartRunInput extends RunSettingsInput {
  @Field(() => String, { description: 'adding | copy | length | reber | mnist' })
  task!: string;

  @Field(() => JSONScalar, { nullable: true, description: 'Task options, e.g. {"length": 1000}.' })
  taskOptions?: Record<string, unknown>;

  @Field(() => Int, { nullable: true, description: 'Add the run to this experiment.' })
  experimentId?: number;

  @Field(() => String, { nullable: true, description: 'Or to the experiment of this name (created if new).' })
  experimentName?: string;
}

@InputType({ description: 'Several models on the same task, data and seed, in one experiment.' })
export class StartComparisonInput extends RunSettingsInput {
  @Field(() => String)
  task!: string;

  @Field(() => JSONScalar, { nullable: true })
  taskOptions?: Record<string, unknown>;

  @Field(() => [String], { description: 'The models to compare, e.g. ["rwa", "lstm", "gru", "rda"].' })
  models!: string[];

  @Field(() => String, { nullable: true, description: 'Experiment name; default "<task> T=<length>: a vs b".' })
  experimentName?: string;

  @Field(() => String, { nullable: true })
  description?: string;
}
