"""PolicyGuard (保单守护助手): a Chinese Rasa assistant for life-insurance policyholders.

The package holds everything the Rasa project uses beyond YAML: NLU components
(:mod:`bot.nlu`), settings (:mod:`bot.settings`) and the command line (``python -m bot``).
"""
