"""Intelligent Operations Centre (IOC) sandbox: a deterministic simulated IOC of the one-stop
sandbox's province — camera registry, Frigate event messages, Hikvision alerts, camera status
transitions and citizen field reports — served over localhost HTTP, generated a day at a time.

See README.md in this folder. Python entry points: `generate_ioc` (generator), `Ioc`,
`load_ioc`, `export_ioc` (replay) and `IocServer` (server).
"""
