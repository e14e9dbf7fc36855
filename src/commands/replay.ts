export const replayCommand = { command: "replay", describe: "placeholder", handler: () => {} };
