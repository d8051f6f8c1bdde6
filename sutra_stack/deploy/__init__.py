"""`sutra generate-systemd`: the stack's config as systemd units for production.

`plan.generate(loaded, stack, options)` turns a loaded config into the files of a deployment
(one hardened `.service` per production service, `.socket` units for handed listening sockets,
`sutra.target`, the 0600 environment file with the resolved settings, a sysusers.d entry and
`.env` templates); `install.write_out` / `install.install` put them in a folder or in place.
`syntax` owns systemd's quoting and name rules, `units` what goes in each unit.
"""
