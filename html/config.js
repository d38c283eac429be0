// Deploy-time configuration. Same origin by default: the local server, or CloudFront in AWS.
window.GARDEN_CONFIG = { apiBase: "" };
