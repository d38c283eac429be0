// @ts-check
// Deploy-time configuration: the one file an operator edits per site. Same origin by default
// (the local server, or CloudFront in AWS); point apiBase at an API Gateway URL otherwise.
/** @type {any} */ (window).GARDEN_CONFIG = {
  apiBase: "",
  // Kiosk pacing, in seconds. A page URL may override them for a visit (?idle=90).
  countdownSeconds: 3,   // the visible countdown before the camera takes the photo
  rotateSeconds: 9,      // how often one garden image gently gives way to the next
  idleSeconds: 75,       // no touch, key or pointer for this long: back to the start screen
};
