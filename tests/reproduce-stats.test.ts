/**
 * The statistics behind every reproduction's verdict, on hand-computed cases: Student-t quantiles,
 * the 95 % interval of paired differences, the verdict rule, Kendall's τ, and the --seeds grammar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tCdf, tQuantile } from '../src/util/student-t.js';
import { kendallTau } from '../src/util/stats.js';
import { claim, collapsed, interval95, overall, paired, verdictOf } from '../src/reproduce/claims.js';
import { parseSeeds } from '../src/cli/reproduce.js';

const near = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} is not within ${tol} of ${b}`);

test('t quantiles match the tables: t(0.975; 1, 2, 3, 4, 10, 30) = 12.706, 4.303, 3.182, 2.776, 2.228, 2.042', () => {
  const table: [number, number][] = [
    [1, 12.7062],
    [2, 4.3027],
    [3, 3.1824],
    [4, 2.7764],
    [10, 2.2281],
    [30, 2.0423],
  ];
  for (const [df, t] of table) near(tQuantile(0.975, df), t, 5e-4, `df ${df}`);
  // df = 1 is the Cauchy distribution: P(T ≤ 1) = 3/4 exactly
  near(tCdf(1, 1), 0.75, 1e-12, 'Cauchy at 1');
  near(tQuantile(0.025, 2), -4.3027, 5e-4, 'lower tail');
  near(tQuantile(0.975, 1e6), 1.96, 1e-3, 'large df → normal');
});

test('the 95 % interval of paired differences, by hand: [1, 2, 3] → 2 ± 4.303/√3; two seeds use 12.706', () => {
  const [lo, hi] = interval95([1, 2, 3]);
  near(lo, 2 - 4.3027 / Math.sqrt(3), 1e-3, 'lo');
  near(hi, 2 + 4.3027 / Math.sqrt(3), 1e-3, 'hi');
  // 0.01 and 0.02: mean 0.015, sd 0.005·√2, half width 12.706 · 0.005 = 0.06353
  const [a, b] = interval95([0.01, 0.02]);
  near(a, 0.015 - 0.06353, 1e-4, 'two seeds lo');
  near(b, 0.015 + 0.06353, 1e-4, 'two seeds hi');
  assert.deepEqual(interval95([0.3]), [-Infinity, Infinity]);
  assert.deepEqual(
    paired([0.9, 0.8], [0.85, 0.82]).map((x) => +x.toFixed(6)),
    [0.05, -0.02],
  );
});

test('verdicts: holds above the margin, fails below it, not shown when the interval straddles it', () => {
  assert.equal(claim('better', [2, 3, 4]).verdict, 'holds'); // [0.52, 5.48]
  assert.equal(claim('better', [-2, -3, -4]).verdict, 'fails');
  assert.equal(claim('better', [1, 2, 3]).verdict, 'not shown'); // [−0.48, 4.48]
  // on par within 0.5 pp: −0.2 pp on every seed is inside the margin
  assert.equal(claim('on par', [-0.002, -0.002, -0.002], { margin: -0.005 }).verdict, 'holds');
  assert.equal(verdictOf([-0.01, -0.006], -0.005), 'fails');
  const c = claim('x', [1, 2, 3]);
  assert.equal(c.mean, 2);
  assert.deepEqual(c.diffs, [1, 2, 3]);
  assert.equal(overall([claim('a', [2, 3, 4]), c]), 'not shown');
  assert.equal(overall([claim('a', [2, 3, 4]), claim('b', [-2, -3, -4])]), 'fails');
  assert.equal(overall([claim('a', [2, 3, 4])]), 'holds');
});

test('a collapsed arm voids its claims: chance accuracy on a seed makes the verdict not shown', () => {
  // seeds 1 and 2 at chance (10 % of 10 classes, within 1 pp); seed 0 trained
  assert.equal(
    collapsed('KD ticket', [0.801, 0.1, 0.109], [0, 1, 2], 10),
    'KD ticket stayed at chance (10 %) on seeds 1, 2: its training collapsed',
  );
  assert.equal(collapsed('KD ticket', [0.801, 0.111, 0.85], [0, 1, 2], 10), undefined);
  // a clear "fails" interval becomes "not shown" with the caveat kept for the report
  const c = claim('KD beats rewinding', [-0.09, -0.1, -0.11], { caveat: 'KD ticket stayed at chance' });
  assert.equal(claim('KD beats rewinding', [-0.09, -0.1, -0.11]).verdict, 'fails');
  assert.equal(c.verdict, 'not shown');
  assert.equal(c.caveat, 'KD ticket stayed at chance');
  assert.equal(claim('x', [1, 2, 3]).caveat, undefined);
});

test("Kendall's τ-b by hand: same order 1, reversed −1, one swapped pair of four 4/6", () => {
  assert.equal(kendallTau([1, 2, 3], [10, 20, 30]), 1);
  assert.equal(kendallTau([1, 2, 3], [3, 2, 1]), -1);
  near(kendallTau([1, 2, 3, 4], [1, 3, 2, 4]), 4 / 6, 1e-12, 'one swap');
  // a tie in one ranking: 2 concordant, 0 discordant, 1 tied pair → 2 / √(3·2)
  near(kendallTau([1, 2, 3], [1, 2, 2]), 2 / Math.sqrt(6), 1e-12, 'tie');
});

test('--seeds: a count is seeds 0 … n−1, a list names them; nonsense is refused', () => {
  assert.deepEqual(parseSeeds('3'), [0, 1, 2]);
  assert.deepEqual(parseSeeds('7,8,9'), [7, 8, 9]);
  assert.deepEqual(parseSeeds('7,'), [7]);
  for (const bad of ['0', 'x', '7,7', '1.5', '-1']) assert.throws(() => parseSeeds(bad), /--seeds/);
});
