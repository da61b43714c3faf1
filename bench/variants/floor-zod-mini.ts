// Floor (not product code): the same schema and parse as floor-zod.ts with `zod/mini`, zod's
// functional API without the methods every classic schema carries: what zod itself costs a cold
// start when the schemas are written for it.
import * as z from 'zod/mini';

const schema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  status: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  create_at: z.optional(z.number()),
});
schema.parse({ id: 'a', name: 'b', status: 'ACTIVE', type: 'DEDICATED', create_at: 1 });
