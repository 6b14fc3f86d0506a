import { trainHparamsSchema, hashedRunId, validate, canonical } from './src/experiments/hparams.js';
const hp = validate(trainHparamsSchema, { training: { lr: 0.05 } });
console.log(hp, hashedRunId('train', trainHparamsSchema, hp), canonical(hp as any, trainHparamsSchema.parse({}) as any));
try { validate(trainHparamsSchema, { training: { lr: -1, bogus: 1 } }); } catch (e) { console.log((e as Error).message); }
