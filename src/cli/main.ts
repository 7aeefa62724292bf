/** Entry point of the `postern` command (bin/postern.js loads this). */
import { main } from './program.js';

await main(process.argv);
