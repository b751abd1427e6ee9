"""Eval set + corpus -> citation-accuracy metrics and a report: the `rag eval` harness.

dataset     eval-set records, the corpus, gold spans and answer matching
metrics     one question's outcome -> its scores
bootstrap   scores -> metrics with bootstrap 95% CIs, paired differences
runners     the pipelines (ours, heuristic, stock) run on a throwaway index, and run_eval
report      results -> results.json, report.md, report.html, plots
realtimeqa  RealTime QA files -> a corpus and an eval set
calibrate   labelled (claim, passage) pairs -> how well the support checker separates them
"""
