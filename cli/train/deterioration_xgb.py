#!/usr/bin/env python3
"""Trains the deterioration model (in-hospital death) with XGBoost on the feature matrix that
`neva model train --physionet2012` writes, cross-validates it (5-fold, stratified, fixed seed),
fits isotonic calibration on the out-of-fold predictions, trains the final model on all rows and
exports it as an ONNX TreeEnsembleRegressor + Sigmoid graph built from the booster's own JSON
model (split conditions and leaf values bit-exact), checked against the booster on every row.

Rows are stays at one or more hours (column 1 the RecordID, column 2 the label): folds keep a
stay's rows together. Usage:
  deterioration_xgb.py FEATURES.csv OUT.onnx OUT-training.json PREDICTIONS.txt SEED [ROUNDS [EXTRA.csv EXTRA-OOF.txt]]
PREDICTIONS.txt receives the booster's probability for every row (for the onnxruntime check).
EXTRA.csv (same columns) holds rows that are scored, never trained on: each by the fold model that
did not see its stay; EXTRA-OOF.txt receives those out-of-fold probabilities.
Prints one JSON line (the training summary) on stdout."""
import json
import sys

import numpy as np
import onnx
import xgboost as xgb
from onnx import TensorProto, helper
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(',')
    data = np.genfromtxt(path, delimiter=',', skip_header=1, dtype=np.float64, missing_values='', filling_values=np.nan)
    data = np.atleast_2d(data)
    return header[2:], data[:, 0].astype(np.int64), data[:, 1].astype(int), data[:, 2:].astype(np.float32)


def params(seed):
    return {
        'objective': 'binary:logistic', 'eval_metric': 'auc', 'tree_method': 'hist', 'max_depth': 3,
        'eta': 0.03, 'subsample': 0.8, 'colsample_bytree': 0.5, 'min_child_weight': 5, 'lambda': 2.0,
        'seed': seed, 'nthread': 1, 'base_score': 0.5,
    }


def to_onnx(booster, n_features):
    model = json.loads(booster.save_raw(raw_format='json'))
    learner = model['learner']
    base = float(learner['learner_model_param']['base_score'])
    trees = learner['gradient_booster']['model']['trees']
    a = {k: [] for k in ['nodes_treeids', 'nodes_nodeids', 'nodes_featureids', 'nodes_modes', 'nodes_values',
                         'nodes_truenodeids', 'nodes_falsenodeids', 'nodes_missing_value_tracks_true',
                         'target_treeids', 'target_nodeids', 'target_ids', 'target_weights']}
    for t, tree in enumerate(trees):
        left, right = tree['left_children'], tree['right_children']
        for i in range(len(left)):
            a['nodes_treeids'].append(t)
            a['nodes_nodeids'].append(i)
            if left[i] == -1:
                a['nodes_featureids'].append(0)
                a['nodes_modes'].append('LEAF')
                a['nodes_values'].append(0.0)
                a['nodes_truenodeids'].append(0)
                a['nodes_falsenodeids'].append(0)
                a['nodes_missing_value_tracks_true'].append(0)
                a['target_treeids'].append(t)
                a['target_nodeids'].append(i)
                a['target_ids'].append(0)
                a['target_weights'].append(float(np.float32(tree['split_conditions'][i])))
            else:
                # XGBoost goes left (yes) when x < split; missing goes left when default_left.
                a['nodes_featureids'].append(int(tree['split_indices'][i]))
                a['nodes_modes'].append('BRANCH_LT')
                a['nodes_values'].append(float(np.float32(tree['split_conditions'][i])))
                a['nodes_truenodeids'].append(int(left[i]))
                a['nodes_falsenodeids'].append(int(right[i]))
                a['nodes_missing_value_tracks_true'].append(int(tree['default_left'][i]))
    margin = float(np.log(base / (1 - base)))
    node = helper.make_node('TreeEnsembleRegressor', ['features'], ['margin'], domain='ai.onnx.ml', n_targets=1,
                            aggregate_function='SUM', post_transform='NONE', base_values=[margin], **a)
    sig = helper.make_node('Sigmoid', ['margin'], ['risk'])
    graph = helper.make_graph([node, sig], 'deterioration',
                              [helper.make_tensor_value_info('features', TensorProto.FLOAT, [None, n_features])],
                              [helper.make_tensor_value_info('risk', TensorProto.FLOAT, [None, 1])])
    m = helper.make_model(graph, producer_name='neva cli/train/deterioration_xgb.py',
                          opset_imports=[helper.make_opsetid('', 13), helper.make_opsetid('ai.onnx.ml', 1)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def onnx_predict(m, x):
    """Reference evaluation of the exported graph in numpy (onnxruntime is checked from node)."""
    g = m.graph.node[0]
    at = {x.name: helper.get_attribute_value(x) for x in g.attribute}
    trees = {}
    for k in range(len(at['nodes_nodeids'])):
        trees.setdefault(at['nodes_treeids'][k], {})[at['nodes_nodeids'][k]] = k
    leaf = {(at['target_treeids'][k], at['target_nodeids'][k]): at['target_weights'][k] for k in range(len(at['target_ids']))}
    out = np.full(x.shape[0], at['base_values'][0], dtype=np.float64)
    for r in range(x.shape[0]):
        for t, nodes in trees.items():
            i = 0
            while True:
                k = nodes[i]
                mode = at['nodes_modes'][k]
                if mode == b'LEAF' or mode == 'LEAF':
                    out[r] += leaf[(t, i)]
                    break
                v = x[r, at['nodes_featureids'][k]]
                go_true = at['nodes_missing_value_tracks_true'][k] == 1 if np.isnan(v) else v < np.float32(at['nodes_values'][k])
                i = at['nodes_truenodeids'][k] if go_true else at['nodes_falsenodeids'][k]
    return 1 / (1 + np.exp(-out))


def main():
    features_csv, out_onnx, out_json, out_pred, seed = sys.argv[1:6]
    rounds = int(sys.argv[6]) if len(sys.argv) > 6 else 600
    extra = load(sys.argv[7]) if len(sys.argv) > 8 else None
    seed = int(seed)
    names, groups, y, x = load(features_csv)
    extra_oof = np.full(len(extra[1]), np.nan) if extra else None
    hours = x[:, names.index('hours')]
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    oof = np.zeros(len(y))
    per_fold = []
    for k, (tr, te) in enumerate(folds.split(x, y, groups)):
        b = xgb.train(params(seed + k), xgb.DMatrix(x[tr], label=y[tr], missing=np.nan), num_boost_round=rounds)
        oof[te] = b.predict(xgb.DMatrix(x[te], missing=np.nan))
        if extra:
            held = np.isin(extra[1], groups[te])
            if held.any():
                extra_oof[held] = b.predict(xgb.DMatrix(extra[3][held], missing=np.nan))
        fold = {}
        for h in sorted(set(hours[te].tolist())):
            at = te[hours[te] == h]
            fold[f'{int(h)}h'] = {'auroc': float(roc_auc_score(y[at], oof[at])), 'auprc': float(average_precision_score(y[at], oof[at]))}
        per_fold.append(fold)
    iso = IsotonicRegression(out_of_bounds='clip', y_min=0.0, y_max=1.0).fit(oof, y)
    booster = xgb.train(params(seed), xgb.DMatrix(x, label=y, missing=np.nan), num_boost_round=rounds)
    m = to_onnx(booster, x.shape[1])
    onnx.save(m, out_onnx)
    lib = booster.predict(xgb.DMatrix(x, missing=np.nan))
    ref = onnx_predict(m, x)
    worst = float(np.max(np.abs(lib - ref)))
    if worst > 1e-5:
        raise SystemExit(f'ONNX graph differs from the booster by {worst} on the training rows')
    gain = booster.get_score(importance_type='total_gain')
    top = sorted(((v, names[int(k[1:])]) for k, v in gain.items()), reverse=True)[:15]
    np.savetxt(out_pred, lib, fmt='%.9g')
    if extra:
        np.savetxt(sys.argv[8], extra_oof, fmt='%.9g')
    cv = {'folds': per_fold}
    for h in sorted(per_fold[0].keys()):
        au = np.array([f[h]['auroc'] for f in per_fold])
        ap = np.array([f[h]['auprc'] for f in per_fold])
        at = hours == float(h[:-1])
        cv[h] = {'auroc_mean': float(au.mean()), 'auroc_sd': float(au.std(ddof=1)), 'auprc_mean': float(ap.mean()),
                 'auprc_sd': float(ap.std(ddof=1)), 'oof_auroc': float(roc_auc_score(y[at], oof[at])),
                 'oof_auprc': float(average_precision_score(y[at], oof[at]))}
    summary = {
        'library': f'xgboost {xgb.__version__}', 'seed': seed, 'rounds': rounds, 'params': params(seed),
        'n': int(len(y)), 'deaths': int(y.sum()),
        'stays': int(len(set(groups.tolist()))), 'cv': cv,
        'calibration': {'method': 'isotonic on out-of-fold predictions', 'x': [float(v) for v in iso.X_thresholds_],
                        'y': [float(v) for v in iso.y_thresholds_]},
        'onnx_max_abs_diff': worst,
        'top_features': [{'feature': n, 'total_gain': float(v)} for v, n in top],
    }
    with open(out_json, 'w') as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: summary[k] for k in ['n', 'stays', 'deaths', 'cv', 'onnx_max_abs_diff']}))


if __name__ == '__main__':
    main()
