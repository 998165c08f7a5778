"""Psychological check-ups (心理体检): questionnaires, scoring, risk tiers and what they trigger,
consent, the on-call rota, campaigns, trajectories and anonymised figures (design/domain.md,
"Screening instruments" and "Risk tiers and response"; design/access.md, "screening result")."""
