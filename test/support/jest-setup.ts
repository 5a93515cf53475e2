/** Runs before every test file: the pinned AWS SDK works on Node 20, so its Node-version notice is only noise here. */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
