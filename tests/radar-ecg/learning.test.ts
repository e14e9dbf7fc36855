/**
 * The CI-size radar-ECG model learns: trained briefly with EW on generated data, with the ci
 * preset's architecture and recipe, every task's validation loss ends below the loss of the best
 * input-independent predictor fitted on the training windows (trivial-losses.ts). A falling loss
 * alone proves nothing: a model that only learns the training mean falls too, and stops at the
 * trivial loss.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RadarEcgDataset, synthesizeDataset } from '../../datasets/radar-ecg/dataset.js';
import { trainAndCompare } from '../../src/tasks/radar-ecg/learning-check.js';
import { RADAR_ECG_PRESETS } from '../../src/tasks/radar-ecg/presets.js';
import { loadBackend } from '../../src/tf/backend.js';

const EPOCHS = Number(process.env.LEARNING_TEST_EPOCHS ?? 6);

t.test('EW on the ci preset beats the trivial predictors on every task', async (t) => {
  const { tf } = await loadBackend();
  const dir = mkdtempSync(join(tmpdir(), 'mtlb-learn-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const p = RADAR_ECG_PRESETS.ci;
  synthesizeDataset({ subjects: 6, minutes: 2, trialsPerSubject: 3, seed: 11, channels: p.channels, bins: p.bins, frames: p.frames, overwrite: true }, dir);
  const ds = RadarEcgDataset.open(dir);
  t.teardown(() => ds.close());
  const r = await trainAndCompare(tf, ds, { preset: 'ci', method: 'ew', epochs: EPOCHS, seed: 0 });
  const last = r.val.at(-1)!;
  for (const k of ['shape', 'ppi', 'anchor'] as const) {
    t.ok(last[k] < r.trivial[k], `${k}: validation loss ${last[k].toFixed(5)} < trivial ${r.trivial[k].toFixed(5)} (${r.valWindows} windows)`);
  }
  t.ok(r.summaries.every((s) => s.meanLosses.every(Number.isFinite)), 'finite training losses');
});
