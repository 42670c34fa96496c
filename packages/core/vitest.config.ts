import { mimoVitestConfig } from '@mimo-mcp/internal-testing/vitest-preset';
import { defineConfig } from 'vitest/config';

export default defineConfig(mimoVitestConfig());
