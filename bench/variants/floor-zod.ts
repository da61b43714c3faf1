// Floor (not product code): zod loaded, one object schema built and one reply parsed with it, what
// every cold start of ours does at least once.
import * as z from 'zod';

const schema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  status: z.string().min(1),
  type: z.string().min(1),
  create_at: z.number().optional(),
});
schema.parse({ id: 'a', name: 'b', status: 'ACTIVE', type: 'DEDICATED', create_at: 1 });
