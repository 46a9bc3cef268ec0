"""Document exchange sandbox: a deterministic simulated VDXP/VXP axis (edXML packages, status
packets, work files) of the one-stop sandbox's province, served over localhost HTTP.

See README.md in this folder. Python entry points: `generate_exchange` (generator),
`Exchange`, `load_exchange`, `export_exchange` (exchange) and `ExchangeServer` (server).
"""
