/**
 * Model sizes of radarODE-MTL. `paper` is the reference network (50 radar channels × 71 SST bins ×
 * 120 frames, full width). The CPU presets keep every layer and scale channels (width) and the
 * input; the data pipeline must deliver inputs of the preset's shape [bins, frames, channels]
 * (`small` takes the reference input; `ci` needs fewer radar channels, frequency bins and
 * frames, which makes the ECG-shape and anchor heads end in an upsampling transposed conv, see
 * spec.ts).
 */
export interface RadarEcgPreset {
  readonly description: string;
  readonly channels: number;
  readonly bins: number;
  readonly frames: number;
  readonly width: number;
  /** Floor of scaled channel counts (spec.ts); default 1. */
  readonly minChannels?: number;
  /** A learned bias per sample of the ECG-shape output (spec.ts); default off. */
  readonly outputBias?: boolean;
}

export const RADAR_ECG_PRESETS = {
  paper: { description: 'the reference network (37.7 M parameters with the ODE branch)', channels: 50, bins: 71, frames: 120, width: 1 },
  small: { description: 'laptop runs on wasm: full input, 1/8 width', channels: 50, bins: 71, frames: 120, width: 1 / 8 },
  cpu: { description: 'the CPU benchmark (table2-cpu): 8 channels × 24 bins × 120 frames (30 Hz), 1/32 width', channels: 8, bins: 24, frames: 120, width: 1 / 32, minChannels: 8, outputBias: true },
  ci: { description: 'tests and smoke runs: 8 channels × 16 bins × 64 frames, 1/32 width', channels: 8, bins: 16, frames: 64, width: 1 / 32, minChannels: 8, outputBias: true },
} as const satisfies Record<string, RadarEcgPreset>;

export type RadarEcgPresetName = keyof typeof RADAR_ECG_PRESETS;
export const RADAR_ECG_PRESET_NAMES = Object.keys(RADAR_ECG_PRESETS) as RadarEcgPresetName[];
