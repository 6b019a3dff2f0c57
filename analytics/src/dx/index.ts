// Decision support on the medical record: the diagnosis model, its training and evaluation, and its storage.
export * from './features.js'
export * from './model.js'
export * from './dataset.js'
export * from './train.js'
export * from './final-check.js'
export * from './store.js'
