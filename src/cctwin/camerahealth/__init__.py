"""Camera quality audit: picture measures, a hysteresis auditor, fault injection, evaluation."""
