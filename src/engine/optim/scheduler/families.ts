// Loads every scheduler family so each registers itself in PARAM_SCHEDULERS before configs are built.
import './constant.js';
import './linear.js';
import './poly.js';
import './exponential.js';
import './step.js';
import './multi-step.js';
import './cosine-annealing.js';
import './cosine-restart.js';
import './one-cycle.js';
import './reduce-on-plateau.js';
