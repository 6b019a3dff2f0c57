export * from './triage/news2.js'
