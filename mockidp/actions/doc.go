// Package actions owns the runtime that executes a tenant's own Auth0 Actions offline, on the
// goja JavaScript engine: compiling each Action's CommonJS module once per tenant load (Compile),
// running the Actions bound to the post-login (v3) and credentials-exchange (v2) triggers in
// binding order (Engine), the event and api objects those triggers hand to an Action, and the
// trigger-scoped api.cache.
//
// What an Action asks for through api (custom claims, scope changes, a denial, metadata
// changes) comes back as a Result for the caller to apply; the engine mints nothing and stores
// nothing. Claim names the tenant reserves are refused through Config.ReservedClaim, since the
// tenant package owns that list, as it owns the emulated triggers and Auth0's limits. ForTenant
// compiles the Actions a loaded tenant binds and builds their Engine, reporting problems in
// their code as the tenant's positioned errors.
//
// Each run gets a fresh JavaScript runtime, so no state survives from one login to the next except
// what api.cache keeps. A trigger execution has Auth0's 20-second limit (Config.Timeout). There is
// no event loop: an async handler may await promises, but nothing can settle one later, so a
// promise still pending when the job queue is empty fails the run.
//
// The runtime is ECMAScript only, with console for logging: no Node.js globals (setTimeout,
// Buffer, process, fetch) and no Node.js built-in modules. require() fails for those and for the
// npm packages an Action declares, naming the module, since neither can run offline; an Action
// that needs one is reported rather than run with a stand-in. Calling a documented api method the
// emulator does not model (api.multifactor.enable, api.redirect.sendUserTo, ...) fails the run
// with "not emulated: ..." even if the Action catches the exception, so a login never succeeds
// here that would have taken another path on Auth0.
package actions
