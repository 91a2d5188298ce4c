// Group rewards and OpenRLHF's payload handling, with a scripted judge whose verdicts we choose.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { RewardGrouper, splitQuery, stripChatTemplate } from "../../lib/server/openrlhf.js";
import { groupRewards, type PairJudge } from "../../lib/server/rewards.js";
import { ELO_DEFAULTS } from "../../lib/tournament/elo.js";
import { swiss } from "../../lib/tournament/swiss.js";
import type { PlayRound } from "../../lib/tournament/types.js";

// The longer text wins; equal lengths give no winner. Records every pair as shown.
function lengthJudge(shown: [string, string][] = []): PairJudge {
  return async (first, second) => {
    shown.push([first, second]);
    return { winner: first.length > second.length ? "a" : first.length < second.length ? "b" : null };
  };
}

test("baseline: every other response against one seeded member, positions alternate", async () => {
  const responses = ["aa", "a", "aaaa", "aaa"];
  const shown: [string, string][] = [];
  const r = await groupRewards(responses, { mode: "baseline", seed: 3 }, lengthJudge(shown));
  assert.is(r.matches, 3);
  const base = responses.findIndex((_, i) => r.details[i].wins + r.details[i].losses + r.details[i].invalid === 0);
  assert.ok(base >= 0);
  assert.is(r.rewards[base], 0.5);
  for (let i = 0; i < 4; i++) {
    if (i === base) continue;
    assert.is(r.rewards[i], responses[i].length > responses[base].length ? 1 : 0);
  }
  // Match k shows the response first when k is even.
  const others = [0, 1, 2, 3].filter((i) => i !== base);
  shown.forEach(([first], k) => assert.is(first, k % 2 === 0 ? responses[others[k]] : responses[base]));
});

test("baselines: k members, never against itself, reward is the mean score", async () => {
  const responses = ["a", "aa", "aaa", "aaaa", "aaaaa"];
  const r = await groupRewards(responses, { mode: "baselines", seed: 9, k: 2 }, lengthJudge());
  for (let i = 0; i < 5; i++) {
    const d = r.details[i];
    const played = d.wins + d.losses + d.invalid;
    assert.ok(played === 1 || played === 2);
    assert.is(d.reward, (d.wins + 0.5 * d.invalid) / played);
  }
  assert.is(r.matches, 2 * 5 - 2); // each of the 2 members skips itself
});

test("elo: m opponents each, rating from the authors' online Elo, reward = (rating - 1000) / 200 + 0.5", async () => {
  const responses = ["a", "aa", "aaa", "aaaa"];
  const r = await groupRewards(responses, { mode: "elo", seed: 4, m: 3 }, lengthJudge());
  assert.is(r.matches, 6); // m = n - 1: the full round-robin, each pair once
  for (const d of r.details) assert.is(d.reward, (d.rating! - ELO_DEFAULTS.initial) / 200 + 0.5);
  assert.ok(r.rewards[3] > r.rewards[2] && r.rewards[2] > r.rewards[1] && r.rewards[1] > r.rewards[0]);
  assert.is(r.details[3].wins, 3);
  assert.is(r.details[0].losses, 3);
  // Zero-sum: Elo moves points between players, so the ratings still average 1000.
  assert.ok(Math.abs(r.details.reduce((s, d) => s + d.rating!, 0) / 4 - 1000) < 1e-9);
});

test("reference: each response against the reference; no winner scores 0.5 and counts as invalid", async () => {
  const r = await groupRewards(["aaa", "a", "aa"], { mode: "reference", seed: 1, reference: "aa" }, lengthJudge());
  assert.equal(r.rewards, [1, 0, 0.5]);
  assert.equal(r.details.map((d) => d.invalid), [0, 0, 1]);
});

test("swiss: default rounds, no rematches, rewards follow the standing strictly and lie in [0, 1)", async () => {
  // Distinct lengths: the longer always wins, so the standing is the length order.
  const responses = ["aaa", "a", "aaaaaaa", "aa", "aaaaa", "aaaaaaaa", "aaaa", "aaaaaa"];
  const shown: [string, string][] = [];
  const r = await groupRewards(responses, { mode: "swiss", seed: 5 }, lengthJudge(shown));
  assert.is(r.mode, "swiss");
  assert.is(r.rounds, 4); // ceil(log2 8) + 1
  assert.is(r.matches, 4 * 4);
  assert.is(shown.length, r.matches);
  const keys = shown.map(([x, y]) => [x, y].sort().join("|"));
  assert.is(new Set(keys).size, keys.length, "no rematch");
  const longest = responses.indexOf("aaaaaaaa");
  assert.is(r.details[longest].place, 1);
  assert.is(r.details[longest].score, 4);
  assert.is(r.rewards[longest], 4 / 4.5); // the only one with 4 points: t = 0
  for (let i = 0; i < 8; i++) {
    const d = r.details[i];
    assert.ok(d.reward >= 0 && d.reward < 1, `${d.reward}`);
    assert.is(d.wins + d.losses + d.invalid, 4);
    assert.is(d.score, d.wins + 0.5 * d.invalid + d.byes!);
    // t, the tie-break part, stays below half a point.
    const t = d.reward * 4.5 - d.score!;
    assert.ok(t >= -1e-12 && t < 0.5, `t=${t}`);
    for (let j = 0; j < 8; j++) {
      if (r.details[j].place! < d.place!) assert.ok(r.rewards[j] > d.reward, `place ${r.details[j].place} above place ${d.place}`);
      if (r.details[j].score! > d.score!) assert.ok(r.rewards[j] > d.reward);
    }
  }
  assert.equal([...r.details.map((d) => d.place)].sort((x, y) => x! - y!), [1, 2, 3, 4, 5, 6, 7, 8]);
});

test("swiss: equal points split by the tie-break, i / (2g) from the bottom of the group", async () => {
  // No match has a winner: 1/2 point each, equal Buchholz and Bradley-Terry, so the lower index
  // ranks first and t = (g - 1 - place) / 2g.
  const r = await groupRewards(["x", "y", "z", "w"], { mode: "swiss", seed: 2, rounds: 2 }, async () => ({ winner: null }));
  assert.is(r.rounds, 2);
  assert.equal(r.details.map((d) => d.score), [1, 1, 1, 1]);
  assert.equal(r.details.map((d) => d.invalid), [2, 2, 2, 2]);
  assert.equal(r.details.map((d) => d.place), [1, 2, 3, 4]);
  assert.equal(r.rewards, [3 / 8, 2 / 8, 1 / 8, 0].map((t) => (1 + t) / 2.5));
});

test("swiss: pairs and seeds are the tournament's; the k-th match shows its first side first when k is even", async () => {
  const responses = ["bb", "b", "bbbbb", "bbbb", "bbb", "bbbbbbb", "bbbbbb"]; // odd: a bye each round
  // The same tournament straight from swiss(), to know each match's sides.
  const direct: PlayRound = async (pairs) => pairs.map((p) => ({ winner: responses[p.a].length > responses[p.b].length ? "a" : "b", votes: { a: 1, b: 0, invalid: 0 } }));
  const sw = await swiss(responses.length, direct, 11, 3);
  const shown: [string, string, number][] = [];
  const judge: PairJudge = async (first, second, seed) => {
    shown.push([first, second, seed]);
    return { winner: first.length > second.length ? "a" : "b" };
  };
  const r = await groupRewards(responses, { mode: "swiss", seed: 11, rounds: 3 }, judge);
  assert.is(r.matches, sw.matches.length);
  assert.is(r.matches, 3 * 3);
  sw.matches.forEach((m, k) => {
    const [x, y] = k % 2 === 0 ? [m.a, m.b] : [m.b, m.a];
    assert.equal(shown[k].slice(0, 2), [responses[x], responses[y]], `match ${k}`);
  });
  assert.is(new Set(shown.map((s) => s[2])).size, shown.length, "a seed per match");
  assert.equal(r.details.map((d) => d.byes), sw.standings.slice().sort((a, b) => a.index - b.index).map((s) => s.byes));
  assert.is(r.details.reduce((s, d) => s + d.byes!, 0), 3);
  sw.standings.forEach((st, p) => assert.is(r.details[st.index].place, p + 1));
  // Same seed, same rewards; another seed, another draw.
  assert.equal((await groupRewards(responses, { mode: "swiss", seed: 11, rounds: 3 }, judge)).rewards, r.rewards);
});

test("swiss: rounds past a round-robin's worth play a round-robin; a group of one gets 0.5", async () => {
  const r = await groupRewards(["a", "aa", "aaa", "aaaa"], { mode: "swiss", seed: 1, rounds: 99 }, lengthJudge());
  assert.is(r.rounds, 3);
  assert.is(r.matches, 6);
  assert.equal(r.details.map((d) => d.score), [0, 1, 2, 3]);
  assert.equal(r.rewards, [0, 1, 2, 3].map((p) => p / 3.5));
  const one = await groupRewards(["only"], { mode: "swiss", seed: 1 }, lengthJudge());
  assert.equal(one.rewards, [0.5]);
  assert.is(one.matches, 0);
});

test("chat templates are stripped and the response split from its prompt", () => {
  const prompt = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n";
  assert.equal(splitQuery(prompt + "It is 4.<|im_end|>", prompt), { question: "Be brief.\n\nWhat is 2+2?", response: "It is 4." });
  assert.equal(splitQuery(prompt + "Four<|endoftext|>", undefined), { question: "Be brief.\n\nWhat is 2+2?", response: "Four" });
  assert.is(stripChatTemplate("<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>"), "Hi");
  assert.is(stripChatTemplate("<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"), "Hello");
});

test("the grouper judges a group once full, or after its wait with what came", async () => {
  const judged: string[][] = [];
  const g = new RewardGrouper({ size: 3, waitMs: 50, mode: "baseline" }, async (_q, responses) => {
    judged.push(responses);
    return groupRewards(responses, { mode: "baseline", seed: 1 }, lengthJudge());
  });
  const full = await Promise.all([g.add("p", "q", "a"), g.add("p", "q", "aa"), g.add("p", "q", "aaa")]);
  assert.is(full.length, 3);
  assert.equal(judged[0], ["a", "aa", "aaa"]);
  const t0 = Date.now();
  const partial = await Promise.all([g.add("p2", "q", "b"), g.add("p2", "q", "bbb")]);
  assert.ok(Date.now() - t0 >= 45);
  assert.equal(judged[1], ["b", "bbb"]);
  assert.is(partial.length, 2);
  const alone = await g.add("p3", "q", "c");
  assert.equal(alone, { reward: 0.5, wins: 0, losses: 0, invalid: 1 });
});

test.run();
