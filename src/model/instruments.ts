/**
 * The metric instruments we record: name, unit, kind and (for histograms) the explicit bucket
 * boundaries. GenAI names and boundaries follow the semantic conventions (gen-ai-metrics.md).
 */
import type { MetricIdentity } from './records';

export interface InstrumentSpec extends MetricIdentity {
  bounds?: number[];
}

const DURATION_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export const INSTRUMENTS = {
  commandRuns: { name: 'devtool.command.runs', unit: '{run}', description: 'Command runs, by command and outcome.', type: 'sum' },
  commandDuration: { name: 'devtool.command.duration', unit: 's', description: 'Duration of command runs.', type: 'histogram', bounds: DURATION_S },
  processCpuTime: { name: 'process.cpu.time', unit: 's', description: 'CPU seconds of the run, by CPU mode.', type: 'sum' },
  stepDuration: { name: 'devtool.step.duration', unit: 's', description: 'Duration of development steps.', type: 'histogram', bounds: DURATION_S },
  userInputs: { name: 'devtool.user_input.count', unit: '{input}', description: 'Inputs a person typed (count only, never the text).', type: 'sum' },
  featureUses: { name: 'devtool.feature.uses', unit: '{use}', description: 'Declared feature-usage events.', type: 'sum' },
  tokenUsage: {
    name: 'gen_ai.client.token.usage',
    unit: '{token}',
    description: 'Number of input and output tokens used.',
    type: 'histogram',
    bounds: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
  },
  llmDuration: {
    name: 'gen_ai.client.operation.duration',
    unit: 's',
    description: 'GenAI operation duration.',
    type: 'histogram',
    bounds: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  },
} satisfies Record<string, InstrumentSpec>;
