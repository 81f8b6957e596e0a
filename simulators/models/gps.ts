/**
 * A GPS receiver on the move: position integrated along a track whose course and speed wander
 * (seeded), altitude with a little noise, satellites in view coming and going, HDOP following the
 * satellite count. The fix can be forced away (`setFix(0)`) to show a receiver losing the sky.
 */
import { Prng } from "../../src/core/prng.js";

export type FixQuality = 0 | 1 | 2;

export interface GpsOptions {
  seed?: number;
  /** Start position, degrees (default 48.1173 N, 11.5167 E). */
  latitude?: number;
  longitude?: number;
  /** Metres above mean sea level (default 545.4). */
  altitudeM?: number;
  /** Mean ground speed, m/s (default 5). */
  speedMps?: number;
  /** Start course over ground, degrees true (default 84.4). */
  courseDeg?: number;
  /** How far the course wanders, degrees per sqrt(second) (default 0.5). */
  courseWanderDeg?: number;
  /** 1 GPS fix (default), 2 differential fix, 0 no fix. */
  fix?: FixQuality;
}

export interface GpsFix {
  latitude: number;
  longitude: number;
  altitudeM: number;
  /** Geoid height above the WGS84 ellipsoid, m (constant). */
  geoidSeparationM: number;
  speedMps: number;
  courseDeg: number;
  fix: FixQuality;
  /** PRNs of the satellites used in the fix. */
  satellites: number[];
  hdop: number;
  vdop: number;
  pdop: number;
}

const EARTH_RADIUS_M = 6_371_000;
const DEG = Math.PI / 180;
/** Satellites to choose from (GPS PRNs 1..32). */
const PRNS = Array.from({ length: 32 }, (_, i) => i + 1);

export class GpsModel {
  readonly kind = "gps";
  readonly #prng: Prng;
  readonly #meanSpeed: number;
  readonly #wander: number;
  readonly #baseAltitude: number;
  #lat: number;
  #lon: number;
  #alt: number;
  #speed: number;
  #course: number;
  #fix: FixQuality;
  #sats: number[];
  #distanceM = 0;

  constructor(options: GpsOptions = {}) {
    this.#prng = new Prng(options.seed ?? 1);
    this.#lat = options.latitude ?? 48.1173;
    this.#lon = options.longitude ?? 11.5167;
    this.#baseAltitude = options.altitudeM ?? 545.4;
    this.#alt = this.#baseAltitude;
    this.#meanSpeed = options.speedMps ?? 5;
    this.#speed = this.#meanSpeed;
    this.#course = options.courseDeg ?? 84.4;
    this.#wander = options.courseWanderDeg ?? 0.5;
    this.#fix = options.fix ?? 1;
    this.#sats = this.#pickSatellites(8);
  }

  /** Force the fix quality: 0 loses the fix (the receiver keeps talking, with empty positions). */
  setFix(fix: FixQuality): void {
    this.#fix = fix;
  }

  /** Metres travelled since the start. */
  get distanceM(): number {
    return this.#distanceM;
  }

  step(dtMs: number): void {
    if (!(dtMs > 0)) return;
    const dt = dtMs / 1000;
    const p = this.#prng;
    this.#course = (((this.#course + this.#wander * Math.sqrt(dt) * p.gaussian()) % 360) + 360) % 360;
    this.#speed = Math.max(0, this.#speed + (this.#meanSpeed - this.#speed) * Math.min(1, dt / 30) + 0.1 * Math.sqrt(dt) * p.gaussian());
    const d = this.#speed * dt;
    this.#lat += ((d * Math.cos(this.#course * DEG)) / EARTH_RADIUS_M) / DEG;
    this.#lon += ((d * Math.sin(this.#course * DEG)) / (EARTH_RADIUS_M * Math.cos(this.#lat * DEG))) / DEG;
    this.#lon = ((((this.#lon + 180) % 360) + 360) % 360) - 180;
    this.#distanceM += d;
    this.#alt += (this.#baseAltitude - this.#alt) * Math.min(1, dt / 60) + 0.2 * Math.sqrt(dt) * p.gaussian();
    // Roughly one satellite rises or sets every minute.
    if (p.next() < dt / 60) {
      const n = Math.min(12, Math.max(4, this.#sats.length + (p.next() < 0.5 ? -1 : 1)));
      this.#sats = this.#pickSatellites(n, this.#sats);
    }
  }

  read(): GpsFix {
    const n = this.#fix === 0 ? 0 : this.#sats.length;
    const hdop = n === 0 ? 99.99 : round(0.6 + 6 / n, 1);
    const vdop = n === 0 ? 99.99 : round(hdop * 1.6, 1);
    return {
      latitude: this.#lat,
      longitude: this.#lon,
      altitudeM: this.#alt,
      geoidSeparationM: 47.0,
      speedMps: this.#speed,
      courseDeg: this.#course,
      fix: this.#fix,
      satellites: this.#fix === 0 ? [] : [...this.#sats],
      hdop,
      vdop,
      pdop: n === 0 ? 99.99 : round(Math.hypot(hdop, vdop), 1),
    };
  }

  snapshot(): Record<string, unknown> {
    return { ...this.read(), distanceM: this.#distanceM };
  }

  /** `n` distinct PRNs: drop random ones from `keep`, or add random new ones. */
  #pickSatellites(n: number, keep: readonly number[] = []): number[] {
    const chosen = [...keep];
    while (chosen.length > n) chosen.splice(this.#prng.int(chosen.length), 1);
    const rest = PRNS.filter((prn) => !chosen.includes(prn));
    while (chosen.length < n && rest.length > 0) chosen.push(rest.splice(this.#prng.int(rest.length), 1)[0] as number);
    return chosen.sort((a, b) => a - b);
  }
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
