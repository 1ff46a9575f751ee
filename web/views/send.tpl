% rebase('layout')
% values = get('values', {})
% chosen = values.get('template') or ''
% asked_here, auto_here = fields.get(chosen, ((), ()))
% if get('error'):
<p class="flash error" id="send-error">{{error}}</p>
% end
<div class="row top">
<form method="post" action="/send" id="send-form" class="card grow2">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Send to')}}
      <select name="mode" id="mode">
        <option value="single" {{'selected' if values.get('mode') != 'group' else ''}}>{{_('Numbers')}}</option>
        <option value="group" {{'selected' if values.get('mode') == 'group' else ''}}>{{_('A group')}}</option>
      </select>
    </label>
    <label>{{_('Category')}}
      <select name="category" id="category">
        % for c in categories:
        <option value="{{c}}" {{'selected' if values.get('category') == c else ''}}>{{_(c)}}</option>
        % end
      </select>
    </label>
  </div>
  <label>{{_('Mobile numbers (one or several, separated by commas)')}}
    <input name="to" id="to" value="{{values.get('to', '')}}" placeholder="13800138000">
  </label>
  <label>{{_('Group')}}
    <select name="group" id="group">
      <option value="">—</option>
      % for g in groups:
      <option value="{{g.id}}" {{'selected' if str(values.get('group')) == str(g.id) else ''}}>{{g.name}} ({{_(g.kind)}})</option>
      % end
    </select>
  </label>
  <label>{{_('Send by (a group)')}}
    <select name="channel" id="channel">
      % for code, words in channels.items():
      <option value="{{code}}" {{'selected' if values.get('channel') == code else ''}}>{{_(words)}}</option>
      % end
    </select>
  </label>
  <div class="row">
    <label>{{_('Campaign name (when sending to several)')}}<input name="name" id="name" value="{{values.get('name', '')}}"></label>
    <label>{{_('Department')}}<input name="department" id="department" value="{{values.get('department', '')}}"></label>
  </div>
  <label>{{_('Template')}}
    <select name="template" id="template">
      <option value="">{{_('(own text)')}}</option>
      % for key, template_title in templates:
      <option value="{{key}}" {{'selected' if chosen == key else ''}}>{{template_title}}</option>
      % end
    </select>
  </label>
  <fieldset id="template-fields" {{'' if asked_here or auto_here else 'hidden'}}>
    <legend>{{_('Template fields: the same for every recipient')}}</legend>
    % for name in asked:
    % shown = name in asked_here
    <label class="var-field" data-for="{{' '.join(k for k, (a, _a) in fields.items() if name in a)}}" {{'' if shown else 'hidden'}}>{{label(name)}}
      <input name="var_{{name}}" id="var-{{name}}" value="{{values.get('var_' + name, '')}}" {{'' if shown else 'disabled'}}>
    </label>
    % end
    <p class="meta" id="auto-fields">{{_('Filled in by the box for each recipient')}}:
      % for name in auto:
      <span class="auto-var" data-for="{{' '.join(k for k, (_a, a) in fields.items() if name in a)}}" {{'' if name in auto_here else 'hidden'}}>{{label(name)}}</span>
      % end
    </p>
  </fieldset>
  <div id="own-text" {{'hidden' if chosen else ''}}>
    % if phrases:
    <label>{{_('Insert a common phrase')}}
      <select id="phrase-insert">
        <option value="">—</option>
        % for p in phrases:
        <option value="{{p['text']}}">{{p['category']}}: {{p['text'] if len(p['text']) <= 40 else p['text'][:40] + '…'}}</option>
        % end
      </select>
    </label>
    % end
    <label>{{_('Text')}}
      <textarea name="text" id="text" maxlength="2000">{{values.get('text', '')}}</textarea>
    </label>
  </div>
  <button type="submit" id="send">{{_('Send')}}</button>
</form>
<div class="card grow1" id="preview">
  <h2>{{_('Preview')}}</h2>
  <div class="preview" id="preview-text"></div>
  <p class="meta">
    {{_('Parts')}}: <b id="preview-parts">0</b> ·
    {{_('Characters')}}: <span id="preview-chars">0</span> <span id="preview-encoding"></span> ·
    {{_('Recipients')}}: <b id="preview-recipients">0</b> ·
    {{_('Cost')}}: <b id="preview-cost">¥0.00</b>
  </p>
  <p class="plain-error" id="preview-error"></p>
</div>
</div>
