/**
 * Query depth and cost limits, checked once the operation is known (so variables count). Cost: every
 * field costs 1, times the list sizes above it; a field's list size is its `first` argument (default 50
 * on connections), a curve's maxPoints (default 1000), the number of runIds of `curves`, and 1000 for the
 * decoded states. Introspection is exempt from the cost (not the depth) limit.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type FragmentDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';

export interface Limits {
  maxDepth: number;
  maxCost: number;
}

const DEFAULT_FANOUT: Record<string, number> = { runs: 50, experiments: 50, curve: 1000, curves: 1000, decoded: 1000 };

export function queryLimitsPlugin<C extends object>(limits: Limits): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (!operation) return;
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
          const variables = request.variables ?? {};
          const value = (v: ValueNode): unknown => {
            if (v.kind === Kind.VARIABLE) return variables[v.name.value];
            if (v.kind === Kind.INT) return Number(v.value);
            if (v.kind === Kind.LIST) return v.values.map(value);
            return undefined;
          };
          let maxDepth = 0;
          const walk = (set: SelectionSetNode, depth: number, seen: Set<string>): number => {
            maxDepth = Math.max(maxDepth, depth);
            if (depth > limits.maxDepth) return 0;
            let cost = 0;
            for (const sel of set.selections) {
              if (sel.kind === Kind.FIELD) {
                const name = sel.name.value;
                if (name.startsWith('__')) continue;
                let fanout = 1;
                const args = new Map((sel.arguments ?? []).map((a) => [a.name.value, value(a.value)]));
                const first = args.get('first') ?? args.get('maxPoints');
                if (typeof first === 'number') fanout = first;
                else if (DEFAULT_FANOUT[name] !== undefined) fanout = DEFAULT_FANOUT[name]!;
                const ids = args.get('runIds');
                if (Array.isArray(ids)) fanout *= Math.max(1, ids.length);
                const below = sel.selectionSet ? walk(sel.selectionSet, depth + 1, seen) : 0;
                cost += 1 + Math.max(1, fanout) * below;
              } else if (sel.kind === Kind.INLINE_FRAGMENT) {
                cost += walk(sel.selectionSet, depth, seen);
              } else {
                const name = sel.name.value;
                const f = fragments.get(name);
                if (!f || seen.has(name)) continue;
                cost += walk(f.selectionSet, depth, new Set([...seen, name]));
              }
            }
            return cost;
          };
          const cost = walk(operation.selectionSet, 1, new Set());
          if (maxDepth > limits.maxDepth)
            throw new GraphQLError(
              `query is nested ${maxDepth} levels deep; the limit is ${limits.maxDepth} (RWA_MAX_QUERY_DEPTH)`,
              { extensions: { code: 'QUERY_TOO_DEEP', http: { status: 400 } } },
            );
          if (cost > limits.maxCost)
            throw new GraphQLError(
              `query cost ${cost} is over the limit ${limits.maxCost} (RWA_MAX_QUERY_COST); ask for fewer items (first, maxPoints) or fewer fields`,
              { extensions: { code: 'QUERY_TOO_COSTLY', cost, http: { status: 400 } } },
            );
        },
      };
    },
  };
}
