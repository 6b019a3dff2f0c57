// Patients at home, as other packages and tests see it (docs/surveys.md).
export { ATTRIBUTES, SCALES, SURVEY_ITEMS, QUESTIONNAIRE_ID, type SurveyItem } from './questionnaire.js'
export { checkAnswers, canonical, AnswerError, type SurveyAnswers } from './answers.js'
export { REGIMENS, scheduleOf, stateOf, cycleDay, reviewDeadline, DAY_MS, type Cycle, type Regimen, type ScheduledSurvey } from './schedule.js'
export { RISK_RULES, RISK_LEVELS, type RiskRule, type RiskLevel } from './risk-rules.js'
export { assessRisk, type RiskVerdict } from './risk.js'
export { HOME_VITALS, HOME_GATEWAY, homeReadings, HomeVitalError } from './home-vitals.js'
export { SurveyStore } from './store.js'
export { Surveys, type QueueItem } from './service.js'
