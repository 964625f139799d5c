import { Field, Int, ObjectType } from 'type-graphql';
import { PageInfo } from './connection.type.js';

@ObjectType({ description: 'A named comparison, e.g. "adding T=1000: RWA vs LSTM".' })
export class Experiment {
  @Field(() => Int)
  id!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType()
export class ExperimentEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Experiment)
  node!: Experiment;
}

@ObjectType({ description: 'A page of experiments.' })
export class ExperimentConnection {
  @Field(() => [ExperimentEdge])
  edges!: ExperimentEdge[];

  @Field(() => [Experiment])
  nodes!: Experiment[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
