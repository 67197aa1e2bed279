"""The digital-maturity diagnostic: versioned questionnaires shipped as YAML data files
(`questionnaires/diagnostic-v<N>.yml`), their loader and the pure scoring (`questionnaire.py`),
and the radar chart's geometry (`radar.py`). Models, services and selectors live with the rest of
shared_tools."""
