import { Field, Int, ObjectType } from 'type-graphql';
import { JSONScalar } from './scalars.js';

@ObjectType({
  description:
    'Hidden states h_1..h_T of one fixed test sample at one evaluation step, compressed by a codec of src/trainer/codec.',
})
export class StateSnapshot {
  @Field(() => Int)
  id!: number;

  @Field(() => Int)
  runId!: number;

  @Field(() => Int)
  step!: number;

  @Field(() => Int)
  sample!: number;

  @Field(() => Int)
  layer!: number;

  @Field(() => Int)
  timeSteps!: number;

  @Field(() => Int)
  units!: number;

  @Field(() => String, { description: 'e.g. hidden-q129-v1' })
  codec!: string;

  @Field(() => JSONScalar)
  codecParams!: unknown;

  @Field(() => JSONScalar, { description: 'Marker positions, sequence length, label, target, prediction.' })
  events!: unknown;

  data!: Uint8Array;
}
