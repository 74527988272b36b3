'use strict';
module.exports = require('./build/Release/native_decoders.node');
