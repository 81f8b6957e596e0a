/**
 * MQTT topic name and topic filter rules, with the broker's size limits. aedes validates some of
 * this itself but lets malformed two-character filters through (`a+`, `+a`, `a#`) and does not
 * check NUL (MQTT-1.5.3-2) or our depth/length limits, so every wire path is checked here again.
 */

export interface TopicLimits {
  /** most levels (segments separated by `/`) in a topic or filter */
  maxTopicDepth: number;
  /** most characters in a topic or filter */
  maxTopicLength: number;
}

export const DEFAULT_TOPIC_LIMITS: TopicLimits = { maxTopicDepth: 16, maxTopicLength: 512 };

/** `malformed` breaks the MQTT spec (close the connection); `limit` is our own policy (refuse). */
export type TopicProblem = { kind: "malformed" | "limit"; reason: string };

function levelCount(topic: string): number {
  let levels = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) levels++;
  return levels;
}

function checkLimits(topic: string, limits: TopicLimits): TopicProblem | undefined {
  if (topic.length > limits.maxTopicLength) {
    return { kind: "limit", reason: `topic longer than ${limits.maxTopicLength} characters` };
  }
  if (levelCount(topic) > limits.maxTopicDepth) {
    return { kind: "limit", reason: `topic deeper than ${limits.maxTopicDepth} levels` };
  }
  return undefined;
}

/** A topic name as used in PUBLISH (and will topics): no wildcards, no NUL, not empty. */
export function checkTopicName(topic: string, limits: TopicLimits): TopicProblem | undefined {
  if (topic.length === 0) return { kind: "malformed", reason: "empty topic" };
  if (topic.includes("\u0000")) return { kind: "malformed", reason: "NUL character in topic" };
  if (topic.includes("#") || topic.includes("+")) {
    return { kind: "malformed", reason: "wildcard in a topic name [MQTT-3.3.2-2]" };
  }
  return checkLimits(topic, limits);
}

/** A topic filter as used in SUBSCRIBE: `+` fills a whole level, `#` is a whole last level. */
export function checkTopicFilter(filter: string, limits: TopicLimits): TopicProblem | undefined {
  if (filter.length === 0) return { kind: "malformed", reason: "empty topic filter [MQTT-4.7.3-1]" };
  if (filter.includes("\u0000")) return { kind: "malformed", reason: "NUL character in topic filter" };
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) {
      return { kind: "malformed", reason: "# must be a whole, last level [MQTT-4.7.1-2]" };
    }
    if (level.includes("+") && level !== "+") {
      return { kind: "malformed", reason: "+ must fill a whole level [MQTT-4.7.1-3]" };
    }
  }
  return checkLimits(filter, limits);
}

/**
 * Does `filter` match `topic` under MQTT rules, including [MQTT-4.7.2-1]: a filter starting with a
 * wildcard does not match topics starting with `$`.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) return false;
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === "#") return true;
    if (i >= t.length) return false;
    if (level !== "+" && level !== t[i]) return false;
  }
  return f.length === t.length;
}

export { filterWithin } from "../core/topic-filter.js";
