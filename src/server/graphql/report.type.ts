/**
 * A reproduction report as data: the rows `rwa-lab report` writes as Markdown (src/report/summary.ts),
 * one group per task setting, one row per (source, model, layers, units), our numbers beside the paper's.
 */
import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Mean and spread of one number over the runs (seeds) of a row.' })
export class Spread {
  @Field(() => Int, { description: 'Runs with a finite value.' })
  n!: number;

  @Field(() => Float)
  mean!: number;

  @Field(() => Float, { description: 'Sample standard deviation (0 for one value).' })
  sd!: number;

  @Field(() => Float)
  min!: number;

  @Field(() => Float)
  max!: number;
}

@ObjectType({ description: "The paper's threshold: test loss below, or test accuracy at least, a value." })
export class ReportThreshold {
  @Field(() => String, { description: 'loss | accuracy' })
  metric!: string;

  @Field(() => Float)
  value!: number;

  @Field(() => String, { description: 'below | atLeast' })
  direction!: string;
}

@ObjectType({ description: 'One model of one task: our runs (or the imported paper logs) beside the paper.' })
export class ReportRow {
  @Field(() => String, { description: "e.g. 'RWA', 'LSTM (2 layers)', 'RWA (paper log)'." })
  label!: string;

  @Field(() => String)
  model!: string;

  @Field(() => Int)
  layers!: number;

  @Field(() => Int)
  units!: number;

  @Field(() => String, { description: 'TRAINED (ours) | IMPORTED (the authors’ logs)' })
  source!: string;

  @Field(() => [Int])
  runIds!: number[];

  @Field(() => Int, { description: 'Number of runs (seeds).' })
  runs!: number;

  @Field(() => Int, { description: 'Runs whose trailing median met the threshold.' })
  reached!: number;

  @Field(() => Int, { description: 'Most steps any of the runs trained (for "never in N steps").' })
  longestSteps!: number;

  @Field(() => Spread, { nullable: true, description: 'Steps to threshold over the runs that reached it.' })
  steps!: Spread | null;

  @Field(() => Spread, { nullable: true, description: 'Mean of the last 10 test evaluations.' })
  final!: Spread | null;

  @Field(() => Spread, { nullable: true })
  wallSeconds!: Spread | null;

  @Field(() => Spread, { nullable: true })
  stepsPerSecond!: Spread | null;

  @Field(() => Spread, { nullable: true, description: 'Trainable parameters (cells and readout).' })
  params!: Spread | null;

  @Field(() => Int, { nullable: true, description: "The paper's steps to threshold for this model." })
  paperSteps!: number | null;

  @Field(() => Float, { nullable: true, description: "The paper's final value for this model." })
  paperFinal!: number | null;

  @Field(() => [String], { description: "Settings that differ from the paper's, e.g. 'units 8 (paper 250)'." })
  differences!: string[];

  @Field(() => [String], { description: 'Plain sentences: agreement on steps and on the final value.' })
  verdict!: string[];
}

@ObjectType({ description: 'One task setting (e.g. adding T=100): its threshold, rows and comparison.' })
export class ReportGroup {
  @Field(() => String, { description: "Stable id, e.g. 'adding-T100'." })
  key!: string;

  @Field(() => String, { description: "e.g. 'adding T=100', 'copy T=100 (variant fixed)'." })
  label!: string;

  @Field(() => String)
  task!: string;

  @Field(() => Int, { nullable: true })
  length!: number | null;

  @Field(() => ReportThreshold, { nullable: true })
  threshold!: ReportThreshold | null;

  @Field(() => Boolean, { description: "The threshold is the paper's for this very setting (not its task's)." })
  paperThreshold!: boolean;

  @Field(() => String, { description: 'Metric of the final value: loss | accuracy.' })
  finalMetric!: string;

  @Field(() => String, { description: "Unit of the loss: 'MSE' or 'bits'." })
  lossUnit!: string;

  @Field(() => Int, { nullable: true, description: 'Training steps of the paper’s runs (null: not in the paper).' })
  paperTrainingSteps!: number | null;

  @Field(() => String, { nullable: true })
  paperNote!: string | null;

  @Field(() => [String], { description: 'RWA against LSTM, ours and the paper’s, then the answers beyond it.' })
  sentences!: string[];

  @Field(() => [String], {
    description: 'Beyond the paper: depth, attention, RDA and GRU against RWA (also in sentences).',
  })
  beyond!: string[];

  @Field(() => [ReportRow])
  rows!: ReportRow[];

  @Field(() => [Int], { description: 'Imported paper-log runs of this task shown as reference curves.' })
  referenceRunIds!: number[];
}

@ObjectType()
export class ReportExperiment {
  @Field(() => Int)
  id!: number;

  @Field(() => String)
  name!: string;
}

@ObjectType({ description: 'Our runs beside the paper’s numbers, as `rwa-lab report` computes them.' })
export class Report {
  @Field(() => [ReportExperiment], { description: 'The experiments reported (paper logs included when asked).' })
  experiments!: ReportExperiment[];

  @Field(() => [ReportGroup])
  groups!: ReportGroup[];
}
