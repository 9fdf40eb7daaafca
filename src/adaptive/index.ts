/**
 * Adaptive tests (computerised adaptive testing) on the calibrated bank: the
 * pure core the exam services and the live protocol call. No I/O: the caller
 * stores the state after every step. See docs/adaptive.md.
 */
export { createCatEngine, STATE_VERSION, AdaptiveItemMismatch, AdaptiveStateInvalid } from './cat-engine.js';
export type { CatEngine, AdaptiveState, StateItem, DeliveredItem, NextStep, Outcome, AdaptiveResult } from './cat-engine.js';
export { AdaptiveConfigInvalid, AdaptiveBlueprintInfeasible, DEFAULT_EXPOSURE } from './adaptive-config.js';
export type { AdaptiveConfig, AdaptiveItem, PretestItem, PretestPlan, ExposureControl, StopRules, Score10Scale, ResolvedConfig, ShortAdaptiveCell } from './adaptive-config.js';
export { estimateAbility, DEFAULT_PRIOR, DEFAULT_QUADRATURE } from './ability.js';
export type { NormalPrior, QuadratureRule, AbilityEstimate } from './ability.js';
export { probabilityRight, itemInformation } from './rasch-model.js';
export type { AdaptiveBlueprint, AdaptiveBlueprintSection, AdaptiveBlueprintCell, ContentBalanceReport, CellBalance } from './content-balance.js';
export type { StopReason } from './stopping.js';
export { scoredAllOrNothing, toAdaptiveItem, isRight } from './item-pool.js';
export { overlapReport } from './overlap.js';
export type { OverlapReport, ItemExposure } from './overlap.js';
export { deriveSympsonHetter } from './sympson-hetter.js';
export type { SympsonHetterOptions, SympsonHetterDerivation, SympsonHetterRound } from './sympson-hetter.js';
export { replayAnswers, advance, engineFor, attemptSeed } from './replay.js';
export type { AdaptivePoolForm, AdaptiveProgress, OutcomeOf } from './replay.js';
