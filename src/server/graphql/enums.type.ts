import { registerEnumType } from 'type-graphql';
import { RunSource, RunStatus, Split } from '../../generated/prisma/enums.js';

registerEnumType(RunStatus, { name: 'RunStatus', description: 'Life cycle of a run.' });
registerEnumType(RunSource, { name: 'RunSource', description: 'Trained here, or imported from a log.' });
registerEnumType(Split, { name: 'Split', description: 'Training batches or the fixed held-out test set.' });

export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortDirection, { name: 'SortDirection' });

export { RunSource, RunStatus, Split };
