import { Field, Float, Int, ObjectType } from 'type-graphql';
import { Split } from './enums.type.js';

@ObjectType({ description: 'One bucket of a curve: its last point, and the extremes of its points.' })
export class CurvePoint {
  @Field(() => Int, { description: 'Step of the bucket\u2019s last point (plot here).' })
  step!: number;

  @Field(() => Int)
  fromStep!: number;

  @Field(() => Int)
  toStep!: number;

  @Field(() => Int, { description: 'Points in the bucket.' })
  count!: number;

  @Field(() => Float, { nullable: true, description: 'Value of the last point (null when NaN or infinite).' })
  value!: number | null;

  @Field(() => Float, { nullable: true })
  min!: number | null;

  @Field(() => Float, { nullable: true })
  max!: number | null;

  @Field(() => Float, { nullable: true, description: 'Smoothed value at the last point (= value without smoothing).' })
  smoothed!: number | null;

  @Field(() => Float, { nullable: true })
  smoothedMin!: number | null;

  @Field(() => Float, { nullable: true })
  smoothedMax!: number | null;

  @Field(() => Float, { description: 'Seconds since the run started, at the last point.' })
  wallTime!: number;
}

@ObjectType({ description: 'A metric series of one run, bucketed in SQL.' })
export class Curve {
  @Field(() => Int)
  runId!: number;

  @Field(() => String)
  metric!: string;

  @Field(() => Split)
  split!: Split;

  @Field(() => Float)
  smoothing!: number;

  @Field(() => Int, { description: 'Points in the requested step range, before bucketing.' })
  totalPoints!: number;

  @Field(() => [CurvePoint])
  points!: CurvePoint[];
}

@ObjectType()
export class StepValue {
  @Field(() => Int)
  step!: number;

  @Field(() => Float, { nullable: true })
  value!: number | null;
}

@ObjectType({ description: 'Summary of one series, computed in SQL.' })
export class MetricSummary {
  @Field(() => Int)
  runId!: number;

  @Field(() => String)
  metric!: string;

  @Field(() => Split)
  split!: Split;

  @Field(() => Int)
  count!: number;

  @Field(() => StepValue, { nullable: true })
  first!: StepValue | null;

  @Field(() => StepValue, { nullable: true })
  last!: StepValue | null;

  @Field(() => StepValue, { nullable: true })
  min!: StepValue | null;

  @Field(() => StepValue, { nullable: true })
  max!: StepValue | null;

  @Field(() => StepValue, {
    nullable: true,
    description: 'The best point: max for accuracy-like metrics (names containing "acc"), else min.',
  })
  best!: StepValue | null;
}
