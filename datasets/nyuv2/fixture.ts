/**
 * A seeded synthetic stand-in for NYUv2: indoor rooms ray-cast per pixel by a pinhole camera, so
 * segmentation, depth and surface normals are consistent by construction, written in exactly the
 * on-disk layout of the pre-processed NYUv2 ({@link ./loader.ts}).
 *
 * Scene: an axis-aligned room (floor, ceiling, four walls) with windows and pictures on the walls
 * and furniture built from oriented boxes (beds, sofas, tables with objects on top, chairs,
 * cabinets with books, TV stands with a TV, floor objects), placed without overlaps.
 * Camera: Kinect-like intrinsics (fx = fy = 0.8107·W, principal point at the centre), 1.1–1.7 m
 * above the floor near the back wall, yawed ±40°, pitched 5–25° down, rolled ±3°.
 * Outputs per pixel (camera frame: x right, y down, z forward):
 * - depth  = z of the first hit (metres), as a Kinect reports it;
 * - normal = the hit face's normal in the camera frame, facing the camera, unit length;
 * - label  = the surface's class (13 NYUv2 classes, {@link FIXTURE_CLASS_NAMES});
 * - image  = class colour (jittered per object) × (hemisphere ambient + a ceiling point light with
 *   1/(1 + k·d²) fall-off) × (1 + procedural texture) + pixel noise, clipped to [0, 1].
 * Invalid pixels as in the real data: glass windows and random blobs have depth 0 and normal 0,
 * as does a band of "projector shadow" left of foreground edges; label −1 on part of the object
 * boundaries and in random blobs.
 *
 * Each sample depends only on (seed, split, index), so any subset renders identically.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import { writeNpy } from '../npy.js';
import { NYUV2_KINDS, NYUV2_SPLITS, type NyuSample, type Nyuv2SplitName } from './loader.js';

/** The 13-class NYUv2 set in its usual (alphabetical) order; the fixture's label i is this class. */
export const FIXTURE_CLASS_NAMES = ['bed', 'books', 'ceiling', 'chair', 'floor', 'furniture', 'objects', 'picture', 'sofa', 'table', 'tv', 'wall', 'window'] as const;
const C = {
  bed: 0,
  books: 1,
  ceiling: 2,
  chair: 3,
  floor: 4,
  furniture: 5,
  objects: 6,
  picture: 7,
  sofa: 8,
  table: 9,
  tv: 10,
  wall: 11,
  window: 12,
} as const;

/** Base colours per class (RGB in [0, 1]), jittered per object. */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [0.75, 0.62, 0.55], // bed
  [0.55, 0.2, 0.22], // books
  [0.93, 0.93, 0.9], // ceiling
  [0.45, 0.3, 0.2], // chair
  [0.55, 0.4, 0.26], // floor
  [0.62, 0.48, 0.32], // furniture
  [0.3, 0.5, 0.62], // objects
  [0.75, 0.55, 0.25], // picture
  [0.35, 0.38, 0.55], // sofa
  [0.5, 0.33, 0.2], // table
  [0.08, 0.08, 0.1], // tv
  [0.82, 0.8, 0.72], // wall
  [0.9, 0.94, 1.0], // window
];

type V3 = [number, number, number];

export interface Intrinsics {
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
}

/** Pinhole intrinsics of the fixture at H×W (pixel (row i, col j) looks through (j + ½, i + ½)). */
export function fixtureIntrinsics(height: number, width: number): Intrinsics {
  const f = (518.8579 / 640) * width;
  return { fx: f, fy: f, cx: width / 2, cy: height / 2 };
}

interface Box {
  readonly c: V3;
  readonly h: V3;
  readonly cos: number;
  readonly sin: number;
  readonly label: number;
  readonly albedo: V3;
  readonly tex: number;
  /** Bounding sphere radius (early rejection). */
  readonly r: number;
}

interface Decal {
  /** 0: x = x0, 1: x = x1, 2: z = z0, 3: z = z1. */
  readonly wall: number;
  readonly a0: number;
  readonly a1: number;
  readonly y0: number;
  readonly y1: number;
  readonly label: number;
  readonly albedo: V3;
  readonly glass: boolean;
}

interface Scene {
  readonly min: V3;
  readonly max: V3;
  readonly boxes: Box[];
  readonly decals: Decal[];
  readonly albedo: { floor: V3; wall: V3; ceiling: V3 };
  readonly cam: { o: V3; r: V3; d: V3; f: V3 };
  readonly light: V3;
}

function jitter(rng: Rng, c: readonly [number, number, number], amount: number): V3 {
  const s = 1 + amount * (rng.uniform() * 2 - 1);
  return [0, 1, 2].map((k) => Math.min(1, Math.max(0, c[k]! * s + 0.04 * (rng.uniform() * 2 - 1)))) as V3;
}

function uniform(rng: Rng, a: number, b: number): number {
  return a + (b - a) * rng.uniform();
}

function box(c: V3, size: V3, yaw: number, label: number, albedo: V3, tex = 0.08): Box {
  const h: V3 = [size[0] / 2, size[1] / 2, size[2] / 2];
  return { c, h, cos: Math.cos(yaw), sin: Math.sin(yaw), label, albedo, tex, r: Math.hypot(h[0], h[1], h[2]) };
}

/** Local (item-frame) offset to world, for an item at (x, z) on the floor rotated by yaw about y. */
function place(x: number, z: number, yaw: number, lx: number, ly: number, lz: number): V3 {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return [x + c * lx + s * lz, ly, z - s * lx + c * lz];
}

interface ItemPlan {
  /** Footprint size in the item frame (x: width, z: depth). */
  readonly w: number;
  readonly d: number;
  readonly build: (x: number, z: number, yaw: number) => Box[];
}

function planItem(kind: string, rng: Rng): ItemPlan {
  const col = (l: number, a = 0.15): V3 => jitter(rng, PALETTE[l]!, a);
  switch (kind) {
    case 'bed': {
      const w = uniform(rng, 1.3, 1.8);
      const d = uniform(rng, 1.9, 2.1);
      const hgt = uniform(rng, 0.45, 0.6);
      const a = col(C.bed);
      const head = col(C.bed);
      return {
        w,
        d,
        build: (x, z, yaw) => [box(place(x, z, yaw, 0, hgt / 2, 0), [w, hgt, d - 0.08], yaw, C.bed, a), box(place(x, z, yaw, 0, 0.55, d / 2 - 0.04), [w, 1.1, 0.08], yaw, C.bed, head)],
      };
    }
    case 'sofa': {
      const w = uniform(rng, 1.6, 2.3);
      const d = uniform(rng, 0.8, 0.95);
      const a = col(C.sofa);
      return {
        w,
        d,
        build: (x, z, yaw) => [
          box(place(x, z, yaw, 0, 0.22, -0.1), [w - 0.4, 0.44, d - 0.2], yaw, C.sofa, a),
          box(place(x, z, yaw, 0, 0.42, d / 2 - 0.1), [w, 0.84, 0.2], yaw, C.sofa, a),
          box(place(x, z, yaw, -w / 2 + 0.1, 0.31, -0.1), [0.2, 0.62, d - 0.2], yaw, C.sofa, a),
          box(place(x, z, yaw, w / 2 - 0.1, 0.31, -0.1), [0.2, 0.62, d - 0.2], yaw, C.sofa, a),
        ],
      };
    }
    case 'table': {
      const w = uniform(rng, 0.9, 1.6);
      const d = uniform(rng, 0.6, 0.9);
      const top = uniform(rng, 0.7, 0.78);
      const a = col(C.table);
      const things = Array.from({ length: 1 + rng.int(3) }, () => ({
        lx: uniform(rng, -w / 2 + 0.2, w / 2 - 0.2),
        lz: uniform(rng, -d / 2 + 0.15, d / 2 - 0.15),
        s: [uniform(rng, 0.08, 0.3), uniform(rng, 0.05, 0.3), uniform(rng, 0.08, 0.25)] as V3,
        yaw: uniform(rng, -0.6, 0.6),
        label: rng.uniform() < 0.3 ? C.books : C.objects,
        albedo: rng.uniform() < 0.5 ? col(C.objects, 0.4) : ([rng.uniform(), rng.uniform(), rng.uniform()] as V3),
      }));
      return {
        w,
        d,
        build: (x, z, yaw) => [
          box(place(x, z, yaw, 0, top - 0.025, 0), [w, 0.05, d], yaw, C.table, a),
          ...[-1, 1].flatMap((sx) => [-1, 1].map((sz) => box(place(x, z, yaw, sx * (w / 2 - 0.06), (top - 0.05) / 2, sz * (d / 2 - 0.06)), [0.06, top - 0.05, 0.06], yaw, C.table, a))),
          ...things.map((t) => box(place(x, z, yaw, t.lx, top + t.s[1] / 2, t.lz), t.s, yaw + t.yaw, t.label, t.albedo, 0.05)),
        ],
      };
    }
    case 'chair': {
      const a = col(C.chair);
      const w = 0.46;
      return {
        w,
        d: w,
        build: (x, z, yaw) => [
          box(place(x, z, yaw, 0, 0.45, 0), [w, 0.05, w], yaw, C.chair, a),
          box(place(x, z, yaw, 0, 0.7, w / 2 - 0.025), [w, 0.45, 0.05], yaw, C.chair, a),
          ...[-1, 1].flatMap((sx) => [-1, 1].map((sz) => box(place(x, z, yaw, sx * (w / 2 - 0.03), 0.21, sz * (w / 2 - 0.03)), [0.04, 0.42, 0.04], yaw, C.chair, a))),
        ],
      };
    }
    case 'cabinet': {
      const w = uniform(rng, 0.6, 1.5);
      const d = uniform(rng, 0.35, 0.6);
      const hgt = uniform(rng, 0.8, 2.0);
      const a = col(C.furniture);
      const nBooks = hgt < 1.6 ? 3 + rng.int(8) : 0;
      const books = Array.from({ length: nBooks }, () => ({ t: uniform(rng, 0.03, 0.06), h: uniform(rng, 0.15, 0.28), albedo: jitter(rng, [rng.uniform(), rng.uniform(), rng.uniform()], 0.2) }));
      return {
        w,
        d,
        build: (x, z, yaw) => {
          const out = [box(place(x, z, yaw, 0, hgt / 2, 0), [w, hgt, d], yaw, C.furniture, a)];
          let lx = -w / 2 + 0.05;
          for (const b of books) {
            if (lx + b.t > w / 2 - 0.05) break;
            out.push(box(place(x, z, yaw, lx + b.t / 2, hgt + b.h / 2, 0.02), [b.t, b.h, Math.min(0.22, d - 0.05)], yaw, C.books, b.albedo, 0.03));
            lx += b.t + 0.005;
          }
          return out;
        },
      };
    }
    case 'tv': {
      const w = uniform(rng, 1.0, 1.6);
      const d = 0.45;
      const sh = uniform(rng, 0.4, 0.6);
      const tw = Math.min(w - 0.1, uniform(rng, 0.8, 1.3));
      const th = tw * 0.58;
      const a = col(C.furniture);
      const t = col(C.tv, 0.3);
      return {
        w,
        d,
        build: (x, z, yaw) => [box(place(x, z, yaw, 0, sh / 2, 0), [w, sh, d], yaw, C.furniture, a), box(place(x, z, yaw, 0, sh + 0.05 + th / 2, 0.08), [tw, th, 0.06], yaw, C.tv, t, 0.02)],
      };
    }
    default: {
      const s = uniform(rng, 0.25, 0.5);
      const hgt = uniform(rng, 0.3, 0.9);
      const a: V3 = jitter(rng, [rng.uniform(), rng.uniform(), rng.uniform()], 0.2);
      return { w: s, d: s, build: (x, z, yaw) => [box(place(x, z, yaw, 0, hgt / 2, 0), [s, hgt, s], yaw, C.objects, a)] };
    }
  }
}

const WALL_ITEMS = ['bed', 'sofa', 'cabinet', 'cabinet', 'tv'];
const FREE_ITEMS = ['table', 'chair', 'chair', 'objects'];

function buildScene(rng: Rng): Scene {
  const wx = uniform(rng, 3.2, 6.0);
  const wz = uniform(rng, 3.6, 7.0);
  const hy = uniform(rng, 2.4, 3.0);
  const min: V3 = [-wx / 2, 0, 0];
  const max: V3 = [wx / 2, hy, wz];
  // Camera near the back wall (z = 0), looking into the room (+z).
  const o: V3 = [uniform(rng, -wx / 4, wx / 4), uniform(rng, 1.1, 1.7), uniform(rng, 0.2, 0.8)];
  const yaw = uniform(rng, -0.7, 0.7);
  const pitch = -uniform(rng, 0.09, 0.44);
  const roll = uniform(rng, -0.05, 0.05);
  const f: V3 = [Math.sin(yaw) * Math.cos(pitch), Math.sin(pitch), Math.cos(yaw) * Math.cos(pitch)];
  // right = f × up, down = −(right × f); then roll about f.
  let r = normalize(cross(f, [0, 1, 0]));
  let d = scale(cross(r, f), -1);
  const cr = Math.cos(roll);
  const sr = Math.sin(roll);
  [r, d] = [add(scale(r, cr), scale(d, sr)), add(scale(d, cr), scale(r, -sr))];

  const boxes: Box[] = [];
  const footprints: { x0: number; x1: number; z0: number; z1: number }[] = [{ x0: o[0] - 0.6, x1: o[0] + 0.6, z0: -1, z1: o[2] + 0.9 }];
  const tryPlace = (plan: ItemPlan, x: number, z: number, yaw: number): boolean => {
    const c = Math.abs(Math.cos(yaw));
    const s = Math.abs(Math.sin(yaw));
    const hx = (c * plan.w + s * plan.d) / 2;
    const hz = (s * plan.w + c * plan.d) / 2;
    const fp = { x0: x - hx, x1: x + hx, z0: z - hz, z1: z + hz };
    if (fp.x0 < min[0] + 0.01 || fp.x1 > max[0] - 0.01 || fp.z0 < min[2] + 0.01 || fp.z1 > max[2] - 0.01) return false;
    if (footprints.some((q) => fp.x0 < q.x1 + 0.05 && q.x0 < fp.x1 + 0.05 && fp.z0 < q.z1 + 0.05 && q.z0 < fp.z1 + 0.05)) return false;
    footprints.push(fp);
    boxes.push(...plan.build(x, z, yaw));
    return true;
  };
  const nWall = 2 + rng.int(3);
  for (let k = 0; k < nWall; k++) {
    const plan = planItem(WALL_ITEMS[rng.int(WALL_ITEMS.length)]!, rng);
    for (let attempt = 0; attempt < 20; attempt++) {
      // Back of the item (its local +z) against the far wall (z = wz) or a side wall.
      const wall = rng.int(3);
      const along = rng.uniform();
      let ok: boolean;
      if (wall === 0) ok = tryPlace(plan, min[0] + plan.w / 2 + along * (wx - plan.w), max[2] - plan.d / 2 - 0.02, 0);
      else if (wall === 1) ok = tryPlace(plan, min[0] + plan.d / 2 + 0.02, min[2] + 1.2 + along * (wz - 1.2 - plan.w), -Math.PI / 2);
      else ok = tryPlace(plan, max[0] - plan.d / 2 - 0.02, min[2] + 1.2 + along * (wz - 1.2 - plan.w), Math.PI / 2);
      if (ok) break;
    }
  }
  const nFree = 1 + rng.int(4);
  for (let k = 0; k < nFree; k++) {
    const plan = planItem(FREE_ITEMS[rng.int(FREE_ITEMS.length)]!, rng);
    for (let attempt = 0; attempt < 20; attempt++) {
      if (tryPlace(plan, uniform(rng, min[0] + 0.5, max[0] - 0.5), uniform(rng, 1.2, max[2] - 0.5), uniform(rng, -Math.PI, Math.PI))) break;
    }
  }
  const decals: Decal[] = [];
  const wallLen = (w: number): number => (w < 2 ? wz : wx);
  const addDecal = (label: number, glass: boolean): void => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const wall = [1, 0, 3][rng.int(3)]!;
      const len = wallLen(wall);
      const lo = wall < 2 ? min[2] : min[0];
      const w = label === C.window ? uniform(rng, 0.8, 1.6) : uniform(rng, 0.4, 1.0);
      const h = label === C.window ? uniform(rng, 1.0, 1.4) : uniform(rng, 0.3, 0.8);
      if (w > len - 0.4) continue;
      const a0 = lo + 0.2 + rng.uniform() * (len - w - 0.4);
      const y0 = label === C.window ? uniform(rng, 0.8, 1.0) : uniform(rng, 1.2, hy - h - 0.2);
      const dcl: Decal = { wall, a0, a1: a0 + w, y0, y1: y0 + h, label, albedo: jitter(rng, label === C.picture ? [rng.uniform(), rng.uniform(), rng.uniform()] : PALETTE[label]!, 0.1), glass };
      if (decals.some((q) => q.wall === wall && dcl.a0 < q.a1 && q.a0 < dcl.a1 && dcl.y0 < q.y1 && q.y0 < dcl.y1)) continue;
      decals.push(dcl);
      return;
    }
  };
  for (let k = rng.int(3); k > 0; k--) addDecal(C.window, rng.uniform() < 0.6);
  for (let k = rng.int(4); k > 0; k--) addDecal(C.picture, false);
  return {
    min,
    max,
    boxes,
    decals,
    albedo: { floor: jitter(rng, PALETTE[C.floor]!, 0.3), wall: jitter(rng, PALETTE[C.wall]!, 0.15), ceiling: jitter(rng, PALETTE[C.ceiling]!, 0.05) },
    cam: { o, r, d, f },
    light: [uniform(rng, min[0] + 0.5, max[0] - 0.5), hy - 0.05, uniform(rng, 1, wz - 1)],
  };
}

function cross(a: V3, b: V3): V3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
function scale(a: V3, s: number): V3 {
  return [a[0] * s, a[1] * s, a[2] * s];
}
function add(a: V3, b: V3): V3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}
function normalize(a: V3): V3 {
  return scale(a, 1 / Math.hypot(a[0], a[1], a[2]));
}

/** Integer lattice hash in [0, 1). */
function hash3(x: number, y: number, z: number, salt: number): number {
  let h = Math.imul(x | 0, 0x27d4eb2d) ^ Math.imul(y | 0, 0x165667b1) ^ Math.imul(z | 0, 0x61c88647) ^ Math.imul(salt | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Trilinear value noise in [0, 1). */
function valueNoise(x: number, y: number, z: number, salt: number): number {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const zi = Math.floor(z);
  const fx = x - xi;
  const fy = y - yi;
  const fz = z - zi;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const sz = fz * fz * (3 - 2 * fz);
  let acc = 0;
  for (let k = 0; k < 8; k++) {
    const dx = k & 1;
    const dy = (k >> 1) & 1;
    const dz = (k >> 2) & 1;
    const w = (dx ? sx : 1 - sx) * (dy ? sy : 1 - sy) * (dz ? sz : 1 - sz);
    acc += w * hash3(xi + dx, yi + dy, zi + dz, salt);
  }
  return acc;
}

interface Hit {
  t: number;
  n: V3;
  label: number;
  albedo: V3;
  tex: number;
  salt: number;
  glass: boolean;
}

function castRay(s: Scene, o: V3, dir: V3, hit: Hit): void {
  // Room: the ray starts inside, so the first surface is the nearest exit face.
  let t = Infinity;
  let axis = 0;
  for (let a = 0; a < 3; a++) {
    const da = dir[a]!;
    if (Math.abs(da) < 1e-12) continue;
    const ta = ((da > 0 ? s.max[a]! : s.min[a]!) - o[a]!) / da;
    if (ta < t) {
      t = ta;
      axis = a;
    }
  }
  const n: V3 = [0, 0, 0];
  n[axis] = dir[axis]! > 0 ? -1 : 1;
  hit.t = t;
  hit.n = n;
  hit.glass = false;
  if (axis === 1) {
    const floor = dir[1] < 0;
    hit.label = floor ? C.floor : C.ceiling;
    hit.albedo = floor ? s.albedo.floor : s.albedo.ceiling;
    hit.tex = floor ? 0.12 : 0.02;
    hit.salt = floor ? 1 : 2;
  } else {
    hit.label = C.wall;
    hit.albedo = s.albedo.wall;
    hit.tex = 0.04;
    hit.salt = 3;
    const wall = axis === 0 ? (dir[0] > 0 ? 1 : 0) : dir[2] > 0 ? 3 : 2;
    const p = o[1] + t * dir[1];
    const along = axis === 0 ? o[2] + t * dir[2] : o[0] + t * dir[0];
    for (const dc of s.decals) {
      if (dc.wall === wall && along >= dc.a0 && along <= dc.a1 && p >= dc.y0 && p <= dc.y1) {
        hit.label = dc.label;
        hit.albedo = dc.albedo;
        hit.tex = dc.label === C.window ? 0.02 : 0.1;
        hit.salt = 4;
        hit.glass = dc.glass;
      }
    }
  }
  for (let b = 0; b < s.boxes.length; b++) {
    const bx = s.boxes[b]!;
    // Bounding sphere: skip when the ray misses it or it lies beyond the current hit.
    const ox = o[0] - bx.c[0];
    const oy = o[1] - bx.c[1];
    const oz = o[2] - bx.c[2];
    const dd = dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2];
    const tc = -(ox * dir[0] + oy * dir[1] + oz * dir[2]) / dd;
    const px = ox + tc * dir[0];
    const py = oy + tc * dir[1];
    const pz = oz + tc * dir[2];
    const d2 = px * px + py * py + pz * pz;
    if (d2 > bx.r * bx.r) continue;
    if (tc - bx.r / Math.sqrt(dd) > hit.t) continue;
    // Slab test in the box frame (rotation by −yaw about y).
    const lo: V3 = [bx.cos * ox - bx.sin * oz, oy, bx.sin * ox + bx.cos * oz];
    const ld: V3 = [bx.cos * dir[0] - bx.sin * dir[2], dir[1], bx.sin * dir[0] + bx.cos * dir[2]];
    let tn = -Infinity;
    let tf = Infinity;
    let ax = -1;
    let miss = false;
    for (let a = 0; a < 3; a++) {
      const da = ld[a]!;
      const oa = lo[a]!;
      const ha = bx.h[a]!;
      if (Math.abs(da) < 1e-12) {
        if (Math.abs(oa) > ha) {
          miss = true;
          break;
        }
        continue;
      }
      let t1 = (-ha - oa) / da;
      let t2 = (ha - oa) / da;
      if (t1 > t2) [t1, t2] = [t2, t1];
      if (t1 > tn) {
        tn = t1;
        ax = a;
      }
      if (t2 < tf) tf = t2;
    }
    if (miss || ax < 0 || tn > tf || tn <= 1e-6 || tn >= hit.t) continue;
    const sg = ld[ax]! > 0 ? -1 : 1;
    const ln: V3 = [0, 0, 0];
    ln[ax] = sg;
    // Back to world: x = cos·lx + sin·lz, z = −sin·lx + cos·lz.
    hit.t = tn;
    hit.n = [bx.cos * ln[0] + bx.sin * ln[2], ln[1], -bx.sin * ln[0] + bx.cos * ln[2]];
    hit.label = bx.label;
    hit.albedo = bx.albedo;
    hit.tex = bx.tex;
    hit.salt = 10 + b;
    hit.glass = false;
  }
}

export interface RenderOptions {
  /** Share of object-boundary pixels labelled −1 (default 0.35). */
  readonly boundaryUnlabelled?: number;
  /** Add invalid pixels (glass, projector shadows, blobs) (default true). */
  readonly invalid?: boolean;
}

/** Render one scene at H×W from a seed. Deterministic: the same seed gives the same arrays. */
export function renderNyuScene(seed: string | number, height: number, width: number, opts: RenderOptions = {}): NyuSample {
  for (const [k, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 4 || v > 4096) throw new ConfigError(`fixture ${k}`, v, 'an integer in 4..4096');
  }
  const rng = Rng.fromSeed(`nyuv2-fixture:${seed}`);
  const scene = buildScene(rng.fork('scene'));
  const noise = rng.fork('noise');
  const K = fixtureIntrinsics(height, width);
  const n = height * width;
  const image = new Float32Array(n * 3);
  const label = new Int32Array(n);
  const depth = new Float32Array(n);
  const normal = new Float32Array(n * 3);
  const { o, r, d, f } = scene.cam;
  const hit: Hit = { t: 0, n: [0, 0, 0], label: 0, albedo: [0, 0, 0], tex: 0, salt: 0, glass: false };
  const invalid = opts.invalid ?? true;
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const u = (j + 0.5 - K.cx) / K.fx;
      const v = (i + 0.5 - K.cy) / K.fy;
      const dir: V3 = [u * r[0] + v * d[0] + f[0], u * r[1] + v * d[1] + f[1], u * r[2] + v * d[2] + f[2]];
      castRay(scene, o, dir, hit);
      const p = i * width + j;
      const P: V3 = [o[0] + hit.t * dir[0], o[1] + hit.t * dir[1], o[2] + hit.t * dir[2]];
      const wn = hit.n;
      // Camera frame: components along right, down, forward.
      normal[3 * p] = wn[0] * r[0] + wn[1] * r[1] + wn[2] * r[2];
      normal[3 * p + 1] = wn[0] * d[0] + wn[1] * d[1] + wn[2] * d[2];
      normal[3 * p + 2] = wn[0] * f[0] + wn[1] * f[1] + wn[2] * f[2];
      depth[p] = hit.t;
      label[p] = hit.label;
      if (invalid && hit.glass) {
        depth[p] = 0;
        normal[3 * p] = normal[3 * p + 1] = normal[3 * p + 2] = 0;
      }
      // Shading: hemisphere ambient + point light with fall-off.
      const L: V3 = [scene.light[0] - P[0], scene.light[1] - P[1], scene.light[2] - P[2]];
      const dist2 = L[0] * L[0] + L[1] * L[1] + L[2] * L[2];
      const diff = Math.max(0, (wn[0] * L[0] + wn[1] * L[1] + wn[2] * L[2]) / Math.sqrt(dist2));
      let shade = 0.3 + 0.25 * (0.5 + 0.5 * wn[1]) + (0.75 * diff) / (1 + 0.08 * dist2);
      if (hit.label === C.window) shade = 1;
      let tex = hit.tex * (2 * valueNoise(P[0] * 9, P[1] * 9, P[2] * 9, hit.salt) - 1) + 0.5 * hit.tex * (2 * valueNoise(P[0] * 31, P[1] * 31, P[2] * 31, hit.salt + 7) - 1);
      if (hit.label === C.floor) tex += 0.12 * (hash3(Math.floor(P[0] * 5), 0, 0, 99) - 0.5);
      for (let c = 0; c < 3; c++) {
        const val = hit.albedo[c]! * shade * (1 + tex) + 0.01 * noise.normal();
        image[3 * p + c] = Math.min(1, Math.max(0, val));
      }
    }
  }
  if (invalid) addInvalid(noise, height, width, label, depth, normal, opts.boundaryUnlabelled ?? 0.35);
  return { height, width, image, label, depth, normal };
}

function addInvalid(rng: Rng, height: number, width: number, label: Int32Array, depth: Float32Array, normal: Float32Array, boundaryShare: number): void {
  const n = height * width;
  const dropDepth = new Uint8Array(n);
  // Projector shadow: a band on the far side, left of a near edge (the projector sits to the side).
  const band = Math.max(1, Math.round(width / 128));
  for (let i = 0; i < height; i++) {
    for (let j = 1; j < width; j++) {
      const a = depth[i * width + j - 1]!;
      const b = depth[i * width + j]!;
      if (a > 0 && b > 0 && a - b > 0.1 * b + 0.05) {
        for (let k = 1; k <= band && j - k >= 0; k++) dropDepth[i * width + j - k] = 1;
      }
    }
  }
  const blobs = (count: number, mark: (p: number) => void): void => {
    for (let b = 0; b < count; b++) {
      const cy = rng.uniform() * height;
      const cx = rng.uniform() * width;
      const ry = (0.02 + 0.04 * rng.uniform()) * width;
      const rx = (0.02 + 0.04 * rng.uniform()) * width;
      for (let i = Math.max(0, Math.floor(cy - ry)); i < Math.min(height, Math.ceil(cy + ry)); i++) {
        for (let j = Math.max(0, Math.floor(cx - rx)); j < Math.min(width, Math.ceil(cx + rx)); j++) {
          if (((i + 0.5 - cy) / ry) ** 2 + ((j + 0.5 - cx) / rx) ** 2 <= 1) mark(i * width + j);
        }
      }
    }
  };
  blobs(rng.int(3), (p) => (dropDepth[p] = 1));
  for (let p = 0; p < n; p++) {
    if (dropDepth[p] || depth[p]! > 10) {
      depth[p] = 0;
      normal[3 * p] = normal[3 * p + 1] = normal[3 * p + 2] = 0;
    }
  }
  const unlabel = new Uint8Array(n);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const p = i * width + j;
      const l = label[p]!;
      const edge = (j + 1 < width && label[p + 1] !== l) || (i + 1 < height && label[p + width] !== l);
      if (edge && rng.uniform() < boundaryShare) unlabel[p] = 1;
    }
  }
  blobs(rng.int(3), (p) => (unlabel[p] = 1));
  for (let p = 0; p < n; p++) if (unlabel[p]) label[p] = -1;
}

export interface FixtureOptions {
  readonly out: string;
  /** Training samples (the real split has 795). */
  readonly trainSamples: number;
  /** Test (`val/`) samples; default round(trainSamples · 654/795), at least 1. */
  readonly valSamples?: number;
  readonly height?: number;
  readonly width?: number;
  readonly seed?: number | string;
  readonly onSample?: (split: Nyuv2SplitName, index: number) => void;
}

/** Sample i of a split: its seed string. */
export function fixtureSampleSeed(seed: number | string, split: Nyuv2SplitName, index: number): string {
  return `${seed}:${split}:${index}`;
}

/** Write a fixture dataset root; returns the counts. Files are float32 (`<f4`), labels included. */
export function writeNyuv2Fixture(opts: FixtureOptions): { root: string; train: number; val: number; height: number; width: number } {
  const height = opts.height ?? 288;
  const width = opts.width ?? 384;
  const train = opts.trainSamples;
  const val = opts.valSamples ?? Math.max(1, Math.round((train * 654) / 795));
  if (!Number.isInteger(train) || train < 1) throw new ConfigError('fixture samples', train, 'a positive integer');
  if (!Number.isInteger(val) || val < 1) throw new ConfigError('fixture val samples', val, 'a positive integer');
  const seed = opts.seed ?? 0;
  for (const split of NYUV2_SPLITS) {
    for (const k of NYUV2_KINDS) mkdirSync(join(opts.out, split, k), { recursive: true });
    const count = split === 'train' ? train : val;
    for (let i = 0; i < count; i++) {
      const s = renderNyuScene(fixtureSampleSeed(seed, split, i), height, width);
      const file = (k: string): string => join(opts.out, split, k, `${i}.npy`);
      writeNpy(file('image'), s.image, [height, width, 3]);
      writeNpy(file('label'), Float32Array.from(s.label), [height, width]);
      writeNpy(file('depth'), s.depth, [height, width, 1]);
      writeNpy(file('normal'), s.normal, [height, width, 3]);
      opts.onSample?.(split, i);
    }
  }
  return { root: opts.out, train, val, height, width };
}
