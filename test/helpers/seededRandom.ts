// Kept so tests import it from their helpers; the benchmarks share the same generator.
export { seededRandom } from '../../core/util/seededRandom.js';
