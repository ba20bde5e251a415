"""Core services: every state change a person makes goes through one of these.

Each public function takes a Ctx (database, config, actor), checks the permission
matrix, does its work in one transaction and writes an audit entry in the same one.
"""
