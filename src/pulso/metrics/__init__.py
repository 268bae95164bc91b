"""KPI metrics: definitions and the statistics behind them."""
