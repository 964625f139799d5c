import { Field, Float, InputType, Int, ObjectType } from 'type-graphql';
import { Split } from './enums.type.js';

@InputType({ description: 'What a share link shows: runs, a metric, smoothing, a step and a sample.' })
export class ShareViewInput {
  @Field(() => [Int])
  runIds!: number[];

  @Field(() => String, { defaultValue: 'loss' })
  metric!: string;

  @Field(() => Split, { defaultValue: Split.TEST })
  split!: Split;

  @Field(() => Float, { defaultValue: 0 })
  smoothing!: number;

  @Field(() => Int, { nullable: true, description: 'Step of the hidden states shown.' })
  step?: number;

  @Field(() => Int, { nullable: true, description: 'Test sample of the hidden states shown.' })
  sample?: number;

  @Field(() => Int, { nullable: true, description: 'The link stops working after this many days (default never).' })
  expiresInDays?: number;
}

@ObjectType({ description: 'A saved read-only view behind an unguessable token.' })
export class ShareView {
  @Field(() => [Int])
  runIds!: number[];

  @Field(() => String)
  metric!: string;

  @Field(() => Split)
  split!: Split;

  @Field(() => Float)
  smoothing!: number;

  @Field(() => Int, { nullable: true })
  step!: number | null;

  @Field(() => Int, { nullable: true })
  sample!: number | null;
}

@ObjectType()
export class ShareLink {
  @Field(() => String, { description: 'Bearer token granting read access to the view\u2019s runs only.' })
  token!: string;

  @Field(() => String, { description: 'Opens the view in the dashboard.' })
  url!: string;

  @Field(() => ShareView)
  view!: ShareView;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;
}
