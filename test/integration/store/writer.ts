/**
 * Child process for kill9.test.ts: writes to the store as fast as it can until it is
 * killed. Usage: bun writer.ts <db path> <round>
 *
 * Protocol on stdout, one line per event, written with writeSync so that nothing sits
 * in a buffer when SIGKILL lands:
 *   "deleting <id>"   before the transaction that may delete sandbox <id>
 *   "commit <id>"     after the transaction that created sandbox <id> has committed
 *   "deleted <id>"    after the transaction that deleted sandbox <id> has committed
 *   "ready"           after the first commit
 */
import { writeSync } from "node:fs";
import { openStore } from "../../../src/store/index.ts";

const [path, round] = process.argv.slice(2);
if (!path || !round) throw new Error("usage: writer.ts <db path> <round>");

const say = (line: string) => writeSync(1, `${line}\n`);
const store = openStore(path);
const CONTAINERS_PER_SANDBOX = 5;

for (let n = 0; ; n++) {
  const id = `sb-${round}-${n}`;
  // Every third iteration, also remove the oldest sandbox, containers first.
  const victim = n % 3 === 2 ? store.sandboxes.list()[0]?.id : undefined;
  if (victim) say(`deleting ${victim}`);

  store.transaction(() => {
    if (victim) {
      for (const c of store.containers.list({ sandboxId: victim })) store.containers.delete(c.id);
      store.sandboxes.delete(victim);
    }
    store.sandboxes.create({
      id,
      metadata: { name: `pod-${n}`, namespace: `round-${round}`, uid: id, attempt: 0 },
      config: { labels: { round } },
    });
    for (let i = 0; i < CONTAINERS_PER_SANDBOX; i++) {
      store.containers.create({
        id: `${id}-c${i}`,
        sandboxId: id,
        metadata: { name: `c${i}`, attempt: 0 },
        config: {},
      });
    }
    const { n: count } = store.db.query<{ n: number }, []>("SELECT count(*) AS n FROM sandboxes").get()!;
    store.runtimeState.set("counter", String(count));
  });

  if (victim) say(`deleted ${victim}`);
  say(`commit ${id}`);
  if (n === 0) say("ready");
}
