"""(being written)"""
BLUEPRINTS: list = []
