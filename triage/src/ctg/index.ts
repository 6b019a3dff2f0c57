// CTG: the FIGO 2015 intrapartum classification the gateway runs on fetal monitor traces.
export { ctgTail, fhrFromBpm, FHR_PLAUSIBLE, type CtgTrace } from './signal.js'
export { classifyCtg, CTG_CLASSES, type CtgClass, type CtgClassification, type CtgDeceleration, type DecelerationType } from './classify.js'
