import { Field, InputType, registerEnumType } from 'type-graphql';
import { SortDirection } from './enums.type.js';

export enum ExperimentOrderField {
  CREATED_AT = 'createdAt',
  ID = 'id',
  NAME = 'name',
}
registerEnumType(ExperimentOrderField, { name: 'ExperimentOrderField' });

@InputType()
export class ExperimentFilter {
  @Field(() => String, { nullable: true, description: 'Name contains (case-insensitive).' })
  nameContains?: string;

  @Field(() => Date, { nullable: true })
  createdAfter?: Date;

  @Field(() => Date, { nullable: true })
  createdBefore?: Date;
}

@InputType()
export class ExperimentOrder {
  @Field(() => ExperimentOrderField, { defaultValue: ExperimentOrderField.CREATED_AT })
  field!: ExperimentOrderField;

  @Field(() => SortDirection, { defaultValue: SortDirection.DESC })
  direction!: SortDirection;
}
