export { afterForward, afterReverse, lookupFailure, TEMPUNAVAIL, UNAVAILABLE, validHostName, type Lookup, type ReverseStep } from './rules.js';
