/** Topic filter containment, shared by the broker ACL (bus) and the config checks (config). */

/**
 * Is every topic `filter` can match also matched by `scope`? Used by ACLs to allow a subscription
 * only when it stays inside an allowed subtree (e.g. `los/v1/a/#` inside `los/v1/#`).
 */
export function filterWithin(filter: string, scope: string): boolean {
  const f = filter.split("/");
  const s = scope.split("/");
  for (let i = 0; i < s.length; i++) {
    const sl = s[i];
    if (sl === "#") return true;
    const fl = f[i];
    if (fl === undefined || fl === "#") return false;
    if (sl === "+") continue;
    if (fl === "+" || fl !== sl) return false;
  }
  return f.length === s.length;
}
