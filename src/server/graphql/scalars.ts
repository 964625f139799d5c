/** Custom scalars: JSON for stored configs, codec parameters and events. */
import { JSONResolver } from 'graphql-scalars';

export const JSONScalar = JSONResolver;
