function ks_stub_call(name, detail)
% Test helper: append "name detail" to the file named by KS_GUI_STUB_LOG, then fail when KS_GUI_STUB_FAIL
% is "name" or "name:message" (the message becomes the error's message).
log_file = getenv('KS_GUI_STUB_LOG');
if ~isempty(log_file)
    fid = fopen(log_file, 'a');
    fprintf(fid, '%s %s\n', name, detail);
    fclose(fid);
end
fail = getenv('KS_GUI_STUB_FAIL');
[target, rest] = strtok(fail, ':');
if strcmp(target, name)
    message = 'stub failure';
    if numel(rest) > 1
        message = rest(2:end);
    end
    error('ks_stub:fail', '%s', message);
end
end
