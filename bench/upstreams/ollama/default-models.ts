/**
 * @module default-models
 * The models a fresh simulator serves, with numbers typical of a laptop GPU (e.g. an 8-16 GB RTX 40xx
 * laptop part or an Apple M-series Pro): small models load in about a second and decode at ~90 tok/s,
 * a 32B model takes several seconds to load and decodes at ~20 tok/s.
 */
import type { SimulatedModelSpec } from './types.js';

export const defaultSimulatedModels: SimulatedModelSpec[] = [
  {
    name: 'qwen2.5-coder:7b',
    family: 'qwen2',
    parameterSize: '7.6B',
    quantization: 'Q4_K_M',
    sizeBytes: 4_683_087_332,
    contextLength: 32_768,
    loadMs: 2_500,
    prefillTokensPerSecond: 1_800,
    decodeTokensPerSecond: 45,
    parallel: 2,
    capabilities: ['completion', 'tools', 'insert'],
  },
  {
    name: 'llama3.2:3b',
    family: 'llama',
    parameterSize: '3.2B',
    quantization: 'Q4_K_M',
    sizeBytes: 2_019_393_189,
    contextLength: 131_072,
    loadMs: 1_200,
    prefillTokensPerSecond: 3_500,
    decodeTokensPerSecond: 90,
    parallel: 2,
    capabilities: ['completion', 'tools'],
  },
  {
    name: 'qwen2.5-coder:32b',
    family: 'qwen2',
    parameterSize: '32.8B',
    quantization: 'Q4_K_M',
    sizeBytes: 19_851_349_856,
    contextLength: 32_768,
    loadMs: 7_500,
    prefillTokensPerSecond: 350,
    decodeTokensPerSecond: 20,
    parallel: 1,
    capabilities: ['completion', 'tools', 'insert'],
  },
  {
    name: 'qwen3:8b',
    family: 'qwen3',
    parameterSize: '8.2B',
    quantization: 'Q4_K_M',
    sizeBytes: 5_225_387_923,
    contextLength: 40_960,
    loadMs: 3_000,
    prefillTokensPerSecond: 1_500,
    decodeTokensPerSecond: 40,
    parallel: 2,
    capabilities: ['completion', 'tools', 'thinking'],
  },
];
